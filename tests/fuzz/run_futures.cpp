// The fuzz driver's operations on futures, promises and waits for events
// (run.hpp): poll, wait, events, failure, completion callbacks (counting
// ones, and ones that destroy a ticket of the table), fds, cancel, clone,
// destroy; promises' futures, completions, failures and destroys;
// ordo_events_wait_async.
#include "run.hpp"

#include <ordo/ordo.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>

namespace fuzz_capi {

namespace {

// Callbacks may run on an OpenCL runtime thread: they only count.
struct CallbackCounter {
    std::atomic<int> calls{0};
};
CallbackCounter g_callbacks;
void count_callback(void *data, int) {
    static_cast<CallbackCounter *>(data)->calls.fetch_add(1);
}

} // namespace

void Run::destroy_in_callback(void *data, int) {
    auto *d = static_cast<Destroyer *>(data);
    Run &run = *d->run;
    if (run.tickets_.live[d->slot] && run.tickets_.h[d->slot] == d->handle) {
        bool outer = run.in_callback_;
        run.in_callback_ = true;
        run.shadow_.set_in_callback(true);
        run.destroy_ticket(d->handle);
        run.in_callback_ = outer;
        run.shadow_.set_in_callback(outer);
    }
    delete d;
}

void Run::step_future(Op op) {
    switch (op) {
    case kFuturePoll: {
        ordo_future f = pick(futures_);
        shadow_.check_poll(f, ordo_future_poll(f));
        break;
    }
    case kFutureWait: {
        ordo_future f = pick(futures_);
        uint8_t b = in_.byte();
        unsigned flags = b % 4 == 3 ? b : b % 2;
        ordo_deadline d = deadline();
        int expected = shadow_.plan_future_wait(f, flags);
        shadow_.check_future_wait(f, flags, expected, ordo_future_wait(f, d, flags));
        break;
    }
    case kFutureEvents: {
        const cl_event *list = nullptr;
        size_t n = 0;
        ordo_future f = pick(futures_);
        uint8_t b = in_.byte();
        int status = ordo_future_events(f, b % 8 == 7 ? nullptr : &list, b % 8 == 6 ? nullptr : &n);
        if (status == ORDO_OK && n > 0)
            (void)list[n - 1];
        shadow_.check_future_events(f, status, list, n);
        break;
    }
    case kFutureFailure: {
        int failure_status = 0;
        const char *message = nullptr;
        cl_int cl_status = 0;
        ordo_future f = pick(futures_);
        uint8_t b = in_.byte();
        bool ask_status = b % 2;
        int status =
            ordo_future_failure(f, ask_status ? &failure_status : nullptr,
                                b % 4 < 2 ? &message : nullptr, b % 8 < 4 ? &cl_status : nullptr);
        if (status == ORDO_OK && message != nullptr)
            (void)std::strlen(message);
        if (ask_status)
            shadow_.check_future_failure(f, status, failure_status, message);
        else
            Shadow::check_handle("ordo_future_failure", shadow_.completion(f) != nullptr, status);
        break;
    }
    case kFutureOnComplete: {
        ordo_future f = pick(futures_);
        bool null_fn = in_.byte() % 8 == 7;
        Shadow::check_handle(
            "ordo_future_on_complete", shadow_.completion(f) != nullptr,
            ordo_future_on_complete(f, null_fn ? nullptr : count_callback, &g_callbacks));
        break;
    }
    case kFutureOnCompleteDestroy: {
        ordo_future f = pick(futures_);
        int slot = in_.byte() % kSlots;
        auto c = shadow_.completion(f);
        // Only futures that complete on this thread: grants and promises.
        if (!c || (c->kind != ordo_fuzz::Completion::kGrant &&
                   c->kind != ordo_fuzz::Completion::kPromise))
            break;
        auto *d = new Destroyer{this, slot, tickets_.live[slot] ? tickets_.h[slot] : nullptr};
        int status = ordo_future_on_complete(f, destroy_in_callback, d);
        shadow_.check_planned("ordo_future_on_complete", ORDO_OK, status);
        if (status != ORDO_OK)
            delete d;
        break;
    }
    case kFutureFd: {
        int fd = -1;
        ordo_future f = pick(futures_);
        bool null_fd = in_.byte() % 8 == 7;
        Shadow::check_handle("ordo_future_fd", shadow_.completion(f) != nullptr,
                             ordo_future_fd(f, null_fd ? nullptr : &fd));
        break;
    }
    case kFutureCancel: {
        ordo_future f = pick(futures_);
        int expected = shadow_.plan_future_cancel(f);
        shadow_.check_planned("ordo_future_cancel", expected, ordo_future_cancel(f));
        break;
    }
    case kFutureClone: {
        ordo_future f = nullptr;
        ordo_future g = pick(futures_);
        bool null_out = in_.byte() % 8 == 7;
        int status = ordo_future_clone(g, null_out ? nullptr : &f);
        auto c = shadow_.completion(g);
        shadow_.check_planned("ordo_future_clone",
                              !c         ? ORDO_ERROR_INVALID_HANDLE
                              : null_out ? ORDO_ERROR_INVALID_ARGUMENT
                                         : ORDO_OK,
                              status);
        if (status == ORDO_OK) {
            shadow_.future_made(f, c);
            keep(futures_, f);
        }
        break;
    }
    case kFutureDestroy: {
        ordo_future f = pick(futures_);
        int status = ordo_future_destroy(f);
        shadow_.future_destroyed(f, status);
        forget(futures_, f, status);
        break;
    }
    case kPromiseCreate: {
        ordo_promise p = nullptr;
        bool null_out = in_.byte() % 8 == 7;
        int status = ordo_promise_create(null_out ? nullptr : &p);
        shadow_.check_planned("ordo_promise_create",
                              null_out ? ORDO_ERROR_INVALID_ARGUMENT : ORDO_OK, status);
        if (status == ORDO_OK) {
            shadow_.promise_created(p);
            keep(promises_, p);
        }
        break;
    }
    case kPromiseFuture: {
        ordo_future f = nullptr;
        ordo_promise p = pick(promises_);
        bool null_out = in_.byte() % 8 == 7;
        int status = ordo_promise_future(p, null_out ? nullptr : &f);
        shadow_.promise_future(p, status, null_out ? nullptr : f);
        if (status == ORDO_OK)
            keep(futures_, f);
        break;
    }
    case kPromiseComplete: {
        ordo_promise p = pick(promises_);
        Events e = events();
        int expected = shadow_.plan_promise_complete(p, e.pointer, e.count);
        shadow_.check_planned("ordo_promise_complete", expected,
                              ordo_promise_complete(p, e.pointer, e.count));
        break;
    }
    case kPromiseFail: {
        ordo_promise p = pick(promises_);
        int status = in_.i32();
        const char *message = in_.byte() % 2 ? "fuzz" : nullptr;
        int expected = shadow_.plan_promise_fail(p, status, message);
        shadow_.check_planned("ordo_promise_fail", expected, ordo_promise_fail(p, status, message));
        break;
    }
    case kPromiseDestroy:
        destroy_promise(pick(promises_));
        break;
    case kWaitEventsAsync: {
        Events e = events();
        ordo_future f = nullptr;
        bool null_out = in_.byte() % 8 == 7;
        int status = ordo_events_wait_async(e.pointer, e.count, null_out ? nullptr : &f);
        bool bad = null_out || (e.count != 0 && e.pointer == nullptr);
        for (size_t i = 0; e.pointer != nullptr && i < e.count; ++i)
            bad = bad || e.list[i] == nullptr;
        shadow_.check_planned("ordo_events_wait_async", bad ? ORDO_ERROR_INVALID_ARGUMENT : ORDO_OK,
                              status);
        if (status == ORDO_OK) {
            shadow_.event_wait_made(e.pointer, e.count, f);
            keep(futures_, f);
        }
        break;
    }
    default: // another family's (Run::step dispatches)
        break;
    }
}

} // namespace fuzz_capi
