// Futures, promises and asynchronous event waits.
#include "handles.hpp"

#include "../lib/event_wait.hpp"

namespace ordo::capi {

ordo_future new_future_handle(Ref<Future> future) {
    FutureHandle *handle = Pool<FutureHandle>::create(FutureHandle{std::move(future)});
    return publish<FutureHandle, ordo_future_s>(handle);
}

} // namespace ordo::capi

using namespace ordo::capi;

extern "C" {

ORDO_API int ordo_future_poll(ordo_future future) {
    return guarded([&] {
        Future &f = *lookup<FutureHandle>(future, "future").future;
        int status = f.poll();
        if (status < 0)
            return report(status, &f.failure()); // the failure's message, as wait does
        return status;
    });
}

ORDO_API int ordo_future_wait(ordo_future future, ordo_deadline deadline, unsigned flags) {
    return guarded([&] {
        Future &f = *lookup<FutureHandle>(future, "future").future;
        if ((flags & ~ORDO_WAIT_CANCEL) != 0)
            throw Error(ORDO_ERROR_INVALID_ARGUMENT, "unknown flags " + std::to_string(flags));
        int status = f.wait(deadline);
        if (status == ORDO_ERROR_TIMEOUT && (flags & ORDO_WAIT_CANCEL))
            f.cancel();
        return report(status, f.state() == Future::kFailed ? &f.failure() : nullptr);
    });
}

ORDO_API int ordo_future_events(ordo_future future, const cl_event **events, size_t *num_events) {
    return guarded([&] {
        Future &f = *lookup<FutureHandle>(future, "future").future;
        require(events, "events");
        require(num_events, "num_events");
        if (f.state() != Future::kDone)
            throw Error(ORDO_ERROR_INVALID_STATE, f.state() == Future::kFailed
                                                      ? "the future failed: it has no events"
                                                      : "the future is still pending");
        *events = f.events().empty() ? nullptr : f.events().data();
        *num_events = f.events().size();
        return ORDO_OK;
    });
}

ORDO_API int ordo_future_failure(ordo_future future, int *status, const char **message,
                                 cl_int *cl_status) {
    return guarded([&] {
        Future &f = *lookup<FutureHandle>(future, "future").future;
        if (f.state() != Future::kFailed)
            throw Error(ORDO_ERROR_INVALID_STATE, f.state() == Future::kDone
                                                      ? "the future is done, not failed"
                                                      : "the future is still pending");
        if (status != nullptr)
            *status = f.failure().status();
        if (message != nullptr)
            *message = f.failure().message().c_str();
        if (cl_status != nullptr)
            *cl_status = f.failure().cl_status();
        return ORDO_OK;
    });
}

ORDO_API int ordo_future_on_complete(ordo_future future, ordo_callback_fn fn, void *user_data) {
    return guarded([&] {
        Future &f = *lookup<FutureHandle>(future, "future").future;
        require(fn, "fn");
        f.on_complete(make_user_callback(fn, user_data));
        return ORDO_OK;
    });
}

ORDO_API int ordo_future_fd(ordo_future future, int *fd) {
    return answer<FutureHandle>(future, "future", fd, "fd",
                                [&](FutureHandle &h) { return h.future->fd(); });
}

ORDO_API int ordo_future_cancel(ordo_future future) {
    return guarded([&] {
        Future &f = *lookup<FutureHandle>(future, "future").future;
        if (!f.cancel())
            throw Error(ORDO_ERROR_INVALID_STATE,
                        f.is_complete() ? "the future has already completed"
                                        : "this future cannot be cancelled (a ticket's release)");
        return ORDO_OK;
    });
}

ORDO_API int ordo_future_clone(ordo_future future, ordo_future *out) {
    return answer<FutureHandle>(future, "future", out, "out",
                                [&](FutureHandle &h) { return new_future_handle(h.future); });
}

ORDO_API int ordo_future_destroy(ordo_future future) {
    return guarded([&] { return destroy_handle<FutureHandle>(future, "future"); });
}

ORDO_API int ordo_promise_create(ordo_promise *out) {
    return guarded([&] {
        require(out, "out");
        PromiseHandle *h = Pool<PromiseHandle>::create(PromiseHandle{Future::make_pending()});
        *out = publish<PromiseHandle, ordo_promise_s>(h);
        return ORDO_OK;
    });
}

ORDO_API int ordo_promise_future(ordo_promise promise, ordo_future *out) {
    return answer<PromiseHandle>(promise, "promise", out, "out",
                                 [&](PromiseHandle &p) { return new_future_handle(p.future); });
}

ORDO_API int ordo_promise_complete(ordo_promise promise, const cl_event *events,
                                   size_t num_events) {
    return guarded([&] {
        PromiseHandle &p = lookup<PromiseHandle>(promise, "promise");
        require_events(events, num_events);
        if (p.future->is_complete())
            throw Error(ORDO_ERROR_INVALID_STATE, "the promise was already completed");
        EventList list = EventList::retain(events, num_events);
        flush_queues_of(list);
        if (!p.future->complete(std::move(list)))
            throw Error(ORDO_ERROR_INVALID_STATE, "the promise was already completed");
        return ORDO_OK;
    });
}

ORDO_API int ordo_promise_fail(ordo_promise promise, int status, const char *message) {
    return guarded([&] {
        PromiseHandle &p = lookup<PromiseHandle>(promise, "promise");
        Ref<Failure> failure = failure_of(status, message);
        if (p.future->is_complete())
            throw Error(ORDO_ERROR_INVALID_STATE, "the promise was already completed");
        if (!p.future->fail(std::move(failure)))
            throw Error(ORDO_ERROR_INVALID_STATE, "the promise was already completed");
        return ORDO_OK;
    });
}

ORDO_API int ordo_promise_destroy(ordo_promise promise) {
    return guarded([&] {
        PromiseHandle *p = retire<PromiseHandle>(promise, "promise");
        if (p == nullptr)
            return ORDO_OK;
        if (!p->future->is_complete()) {
            Ref<Failure> failure;
            try {
                failure = Failure::make(ORDO_ERROR_ABANDONED,
                                        "the promise was destroyed before it was completed");
            } catch (...) {
            }
            if (failure)
                p->future->fail(std::move(failure));
        }
        Pool<PromiseHandle>::destroy(p);
        return ORDO_OK;
    });
}

ORDO_API int ordo_events_wait_async(const cl_event *events, size_t num_events, ordo_future *out) {
    return guarded([&] {
        require_events(events, num_events);
        require(out, "out");
        *out = new_future_handle(wait_events_async(events, num_events));
        return ORDO_OK;
    });
}

} // extern "C"
