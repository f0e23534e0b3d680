#include "device_wait.hpp"

#include "error.hpp"
#include "event_wait.hpp"

#include <memory>
#include <new>
#include <string>
#include <vector>

namespace ordo::detail {
// Sets a user event from a future's outcome, and drops its reference (and
// then lets go of the command kept for it).
struct UserEventCompletion : Callback {
    cl_event user_event = nullptr;
    cl_event keep = nullptr;
};

cl_context queue_context(cl_command_queue queue) {
    if (queue == nullptr)
        throw Error(ORDO_ERROR_INVALID_ARGUMENT, "queue is NULL");
    cl_context context = nullptr;
    cl_int err = clGetCommandQueueInfo(queue, CL_QUEUE_CONTEXT, sizeof context, &context, nullptr);
    if (err != CL_SUCCESS)
        throw Error(ORDO_ERROR_INVALID_ARGUMENT,
                    "queue is not a valid cl_command_queue (" + cl_error_name(err) + ")", err);
    return context;
}

cl_int failure_status_for_event(const Future &failed) noexcept {
    cl_int status = failed.failure().cl_status();
    return status < 0 ? status : CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST;
}

namespace {

void finish_user_event(Callback *self, Future &f) noexcept {
    auto *c = static_cast<UserEventCompletion *>(self);
    set_user_event(c->user_event,
                   f.state() == Future::kDone ? CL_COMPLETE : failure_status_for_event(f), c->keep);
    delete c;
}

} // namespace

void set_user_event(cl_event user_event, cl_int status, cl_event keep) noexcept {
    clSetUserEventStatus(user_event, status);
    EventList::adopt(user_event); // drops our reference, never on a callback thread
    if (keep != nullptr)
        keep_until_ended(keep);
}

void keep_until_ended(cl_event event) noexcept {
    EventList ours = EventList::adopt(event);
    try {
        wait_events_async(ours); // holds its own reference while it waits
    } catch (...) {
        // Without memory for the wait: released at once.
    }
}

void complete_user_event_when(Future &done, cl_event user_event, cl_event keep) noexcept {
    auto *cb = new (std::nothrow) UserEventCompletion;
    if (cb == nullptr) {
        // Never leave a user event pending: fail it now.
        set_user_event(user_event, CL_OUT_OF_HOST_MEMORY, keep);
        return;
    }
    cb->user_event = user_event;
    cb->keep = keep;
    cb->fn = finish_user_event;
    done.on_complete(cb);
}

void enqueue_barrier(cl_command_queue queue, cl_context context, const EventList &events,
                     cl_event *barrier) {
    std::vector<cl_event> wait_list;
    wait_list.reserve(events.size() + 1);
    std::vector<cl_event> foreign;
    for (size_t i = 0; i < events.size(); ++i) {
        cl_event e = events.data()[i];
        cl_context event_context = nullptr;
        check_cl(clGetEventInfo(e, CL_EVENT_CONTEXT, sizeof event_context, &event_context, nullptr),
                 "clGetEventInfo(CL_EVENT_CONTEXT)");
        // POCL 3.1 neither runs nor fails a command whose wait list holds an
        // event that has already failed: a barrier on it would stall the
        // queue for good. (An event that fails after the enqueue fails the
        // barrier, as it should.)
        cl_int status = CL_COMPLETE;
        check_cl(
            clGetEventInfo(e, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof status, &status, nullptr),
            "clGetEventInfo(CL_EVENT_COMMAND_EXECUTION_STATUS)");
        if (status < 0)
            throw Error(ORDO_ERROR_EVENT_FAILED,
                        "cl_event " + std::to_string(i) +
                            " of the grant ended with execution status " + std::to_string(status) +
                            " (" + cl_error_name(status) + "); nothing was enqueued",
                        status);
        (event_context == context ? wait_list : foreign).push_back(e);
    }
    Ref<Future> done;
    std::unique_ptr<UserEventCompletion> bridge;
    if (!foreign.empty()) {
        done = wait_events_async(foreign.data(), foreign.size());
        maybe_fail_allocation();
        bridge = std::make_unique<UserEventCompletion>(); // before the user event: no leak
        cl_int err = CL_SUCCESS;
        bridge->user_event = clCreateUserEvent(context, &err);
        check_cl(err, "clCreateUserEvent");
        bridge->fn = finish_user_event;
        wait_list.push_back(bridge->user_event);
    }
    cl_int err = clEnqueueBarrierWithWaitList(queue, static_cast<cl_uint>(wait_list.size()),
                                              wait_list.data(), barrier);
    // The bridge is armed only once the barrier is enqueued, for the same
    // reason: its user event may be set to a failure status at once. It sets
    // and drops the user event even if the enqueue failed.
    if (bridge)
        done->on_complete(bridge.release());
    check_cl(err, "clEnqueueBarrierWithWaitList");
}

} // namespace ordo::detail
