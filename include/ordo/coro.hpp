// coro.hpp - C++20 coroutines over ordo's futures: awaitables, executors,
// a run loop and a task type.
//
// The contract:
//
// Awaiting. co_await works in any coroutine type on resume_on(future,
// executor) (the future's events), on granted(ticket, executor) (the
// ticket's grant: the predecessor's events) and on completed(ticket,
// executor) (the grant, then its events completing, without blocking any
// thread). A failure is thrown as ordo::Error from the co_await; a granted()
// or completed() that returns counts as seeing the grant (ordo.h), one that
// throws the predecessor's failure does too.
//
// Threads. A suspended coroutine is never resumed on the thread that
// completed the future (possibly an OpenCL runtime thread, or a thread
// inside an ordo call): the callback hands a function that resumes it to
// the Executor the caller named, and the executor runs it where it likes
// (an event loop, a pool). An awaiter that finds its future already
// complete does not suspend at all. The executor may be called on any
// thread and must not block.
//
// Lifetime. A coroutine destroyed while suspended is never resumed: the
// posted function then does nothing. An executor that discards work (a loop
// shutting down) leaks nothing: the posted function owns what it refers to.
//
// RunLoop is a single-threaded executor; Task is a coroutine type that
// starts at once and keeps what escaped it. A Task whose body an exception
// left destroys its frame (parameters included) with the Task, and a Ticket
// among the parameters then fails its successors as if unwinding (ordo.hpp,
// Ticket).
#ifndef ORDO_CORO_HPP
#define ORDO_CORO_HPP

#include <ordo/ordo.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <coroutine>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace ordo {

// Runs the function that resumes a coroutine, where it likes.
using Executor = std::function<void(std::function<void()>)>;

namespace detail {

// Shared by an awaiter and the callback that resumes it; two references.
struct Resumer {
    std::atomic<int> refs{2};
    std::atomic<bool> abandoned{false};
    std::coroutine_handle<> handle;
    Executor executor;
    int status = ORDO_OK;
    Future stage;  // the future being awaited
    Future events; // completed(): the wait for the grant's events
    bool then_events = false;

    void drop() noexcept {
        if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1)
            delete this;
    }
    // Hands the resumption (and the callback's reference) to the executor.
    // The reference goes with the posted function, run or not.
    void post() {
        std::shared_ptr<Resumer> self(this, [](Resumer *r) { r->drop(); });
        executor([self] {
            if (!self->abandoned.load(std::memory_order_acquire))
                self->handle.resume();
        });
    }
    static void on_complete(void *data, int status) {
        auto *r = static_cast<Resumer *>(data);
        r->status = status;
        if (status == ORDO_OK && r->then_events) {
            // Grant done: now wait, without blocking, for its events.
            r->then_events = false;
            const cl_event *events = nullptr;
            size_t n = 0;
            ordo_future f = nullptr;
            if ((r->status = ordo_future_events(r->stage.get(), &events, &n)) == ORDO_OK &&
                (r->status = ordo_events_wait_async(events, n, &f)) == ORDO_OK) {
                r->events = Future(f);
                // Once registered, the callback may run at once or on another
                // thread and set r->status: only a failed registration is ours.
                int registered = ordo_future_on_complete(f, &Resumer::on_complete, r);
                if (registered == ORDO_OK)
                    return;
                r->status = registered;
            }
        }
        r->post();
    }
};

class Awaiter {
public:
    Awaiter(Future future, Executor executor, bool then_events)
        : future_(std::move(future)), executor_(std::move(executor)), then_events_(then_events) {}
    Awaiter(const Awaiter &) = delete;
    Awaiter &operator=(const Awaiter &) = delete;
    ~Awaiter() {
        if (r_ != nullptr) {
            r_->abandoned.store(true, std::memory_order_release);
            r_->drop();
        }
    }

    bool await_ready() const { return !then_events_ && future_.done(); }
    void await_suspend(std::coroutine_handle<> h) {
        r_ = new Resumer;
        r_->handle = h;
        r_->executor = executor_;
        r_->stage = future_;
        r_->then_events = then_events_;
        int status = ordo_future_on_complete(future_.get(), &Resumer::on_complete, r_);
        if (status != ORDO_OK) {
            r_->refs.store(1);
            check(status);
        }
    }
    // The events of the awaited future; throws Error if it failed.
    std::vector<cl::Event> await_resume() {
        if (r_ != nullptr && r_->status != ORDO_OK && r_->status != ORDO_PENDING) {
            const char *message = nullptr;
            Future &failed = r_->events ? r_->events : r_->stage;
            int status = r_->status;
            if (ordo_future_failure(failed.get(), nullptr, &message, nullptr) == ORDO_OK)
                throw Error(status, message);
            throw Error(status, ordo_last_error_message());
        }
        if (r_ == nullptr && future_.poll() != ORDO_OK) {
            const char *message = nullptr;
            ordo_future_failure(future_.get(), nullptr, &message, nullptr);
            throw Error(future_.poll(), message != nullptr ? message : "failed");
        }
        return future_.events();
    }

private:
    Future future_;
    Executor executor_;
    bool then_events_;
    Resumer *r_ = nullptr;
};

} // namespace detail

// co_await ordo::resume_on(future, executor): the future's events, or throws.
inline detail::Awaiter resume_on(Future future, Executor executor) {
    return detail::Awaiter(std::move(future), std::move(executor), false);
}
// co_await ordo::granted(ticket, executor): the predecessor's events, or throws.
inline detail::Awaiter granted(const Ticket &ticket, Executor executor) {
    return detail::Awaiter(ticket.grant_future(), std::move(executor), false);
}
// co_await ordo::completed(ticket, executor): the grant, once its events completed.
inline detail::Awaiter completed(const Ticket &ticket, Executor executor) {
    return detail::Awaiter(ticket.grant_future(), std::move(executor), true);
}

// A single-threaded run loop: an Executor for tests, examples and programs
// that want one thread to run all their coroutines. post() is thread-safe.
class RunLoop {
public:
    Executor executor() {
        return [this](std::function<void()> work) {
            post(std::move(work));
        };
    }
    void post(std::function<void()> work) {
        // Notified under the lock: once the loop can see the work it may run
        // it and be destroyed, so post() must be done with wake_ by then.
        std::lock_guard lock(mutex_);
        work_.push_back(std::move(work));
        wake_.notify_one();
    }
    // Runs posted work on this thread until done() holds.
    template <class Predicate>
    void run(Predicate done) {
        run_until(std::move(done), never);
    }
    // False if the deadline passed first (the one policy of ordo.hpp).
    template <class Predicate>
    bool run_until(Predicate done, Deadline deadline) {
        for (;;) {
            if (done())
                return true;
            std::function<void()> work;
            {
                std::unique_lock lock(mutex_);
                while (work_.empty()) {
                    if (deadline == never)
                        wake_.wait(lock);
                    else if (wake_.wait_until(lock, std::chrono::steady_clock::time_point(
                                                        std::chrono::nanoseconds(deadline))) ==
                                 std::cv_status::timeout &&
                             work_.empty())
                        return done();
                }
                work = std::move(work_.front());
                work_.pop_front();
            }
            work();
        }
    }

private:
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> work_; // with mutex_
};

// A coroutine type that starts at once and keeps its result for whoever
// owns it: done() once it finished, get() rethrows what escaped it.
class Task {
public:
    struct promise_type {
        std::exception_ptr error;
        Task get_return_object() {
            return Task(std::coroutine_handle<promise_type>::from_promise(*this));
        }
        std::suspend_never initial_suspend() noexcept { return {}; }
        std::suspend_always final_suspend() noexcept { return {}; }
        void return_void() noexcept {}
        void unhandled_exception() noexcept { error = std::current_exception(); }
    };
    Task(Task &&other) noexcept : h_(std::exchange(other.h_, nullptr)) {}
    Task &operator=(Task other) noexcept {
        std::swap(h_, other.h_);
        return *this;
    }
    ~Task() {
        if (!h_)
            return;
        bool failed = h_.done() && h_.promise().error != nullptr;
        detail::failed_frames_being_destroyed() += failed;
        h_.destroy();
        detail::failed_frames_being_destroyed() -= failed;
    }
    bool done() const noexcept { return !h_ || h_.done(); }
    void get() const {
        if (h_ && h_.promise().error)
            std::rethrow_exception(h_.promise().error);
    }

private:
    explicit Task(std::coroutine_handle<promise_type> h) : h_(h) {}
    std::coroutine_handle<promise_type> h_;
};

} // namespace ordo

#endif // ORDO_CORO_HPP
