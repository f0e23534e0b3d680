#include "device_wait.hpp"

#include "callback_scope.hpp"
#include "error.hpp"
#include "event_wait.hpp"
#include "quirks.hpp"

#include <memory>
#include <string>
#include <vector>

namespace ordo::detail {
namespace {

// The bridge of a device wait for events of another context: sets a user
// event of the queue's context from the wait for those events, and drops
// its reference.
struct UserEventCompletion : Callback {
    cl_event user_event = nullptr;
};

} // namespace

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
    clSetUserEventStatus(c->user_event,
                         f.state() == Future::kDone ? CL_COMPLETE : failure_status_for_event(f));
    EventList::adopt(c->user_event); // dropped, never on a callback thread
    delete c;
}

} // namespace

namespace {

// Takes over a reference to a command's event and drops it once the event
// has ended.
void keep_until_ended(cl_event event) noexcept {
    EventList ours = EventList::adopt(event);
    try {
        wait_events_async(ours); // holds its own reference while it waits
    } catch (...) {
        // Without memory for the wait: released at once.
    }
}

} // namespace

void keep_command(cl_event command, const Quirks &quirks) noexcept {
    if (quirks.frees_unheld_commands)
        keep_until_ended(command);
    else
        EventList::adopt(command); // dropped now (through the service thread in a callback)
}

void enqueue_barrier(cl_command_queue queue, cl_context context, const EventList &events,
                     cl_event *barrier) {
    std::vector<cl_event> wait_list;
    wait_list.reserve(events.size() + 1);
    std::vector<cl_event> foreign;
    for (size_t i = 0; i < events.size(); ++i) {
        cl_event e = events.data()[i];
        // An event whose callback runs on this thread is complete (and the
        // runtime may hold its lock): nothing to wait for.
        if (CallbackScope::inside_callback_of(e))
            continue;
        cl_context event_context = nullptr;
        check_cl(clGetEventInfo(e, CL_EVENT_CONTEXT, sizeof event_context, &event_context, nullptr),
                 "clGetEventInfo(CL_EVENT_CONTEXT)");
        // A runtime may neither run nor fail a command whose wait list holds
        // an event that has already failed (quirks.hpp,
        // stalls_on_failed_wait_list): a barrier on it could stall the queue
        // for good, so none is enqueued, on any runtime. (An event that fails
        // after the enqueue fails the barrier, as it should.)
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
    if (wait_list.empty() && foreign.empty()) {
        // Nothing left to wait for (an empty wait list would wait for the
        // whole queue).
        if (barrier != nullptr)
            *barrier = nullptr;
        return;
    }
    Quirks quirks = quirks_of_queue(queue);
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
    cl_event made = nullptr;
    cl_int err = clEnqueueBarrierWithWaitList(queue, static_cast<cl_uint>(wait_list.size()),
                                              wait_list.data(), &made);
    // The bridge is armed only once the barrier is enqueued, for the same
    // reason: its user event may be set to a failure status at once. It sets
    // and drops the user event even if the enqueue failed.
    if (bridge)
        done->on_complete(bridge.release());
    check_cl(err, "clEnqueueBarrierWithWaitList");
    if (barrier != nullptr)
        *barrier = made; // the caller's reference
    else
        keep_command(made, quirks);
}

} // namespace ordo::detail
