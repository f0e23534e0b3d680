#include "device_wait.hpp"

#include "error.hpp"
#include "event_wait.hpp"

#include <vector>

namespace ordo::detail {
namespace {

struct UserEventCompletion : Callback {
    cl_event user_event;
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

void complete_user_event_when(Future &done, cl_event user_event) noexcept {
    auto *cb = new (std::nothrow) UserEventCompletion;
    if (cb == nullptr) {
        // Never leave a user event pending: fail it now.
        clSetUserEventStatus(user_event, CL_OUT_OF_HOST_MEMORY);
        EventList::adopt(user_event);
        return;
    }
    cb->user_event = user_event;
    cb->fn = [](Callback *self, Future &f) noexcept {
        auto *c = static_cast<UserEventCompletion *>(self);
        clSetUserEventStatus(
            c->user_event, f.state() == Future::kDone ? CL_COMPLETE : failure_status_for_event(f));
        EventList::adopt(c->user_event); // drops our reference, never on a callback thread
        delete c;
    };
    done.on_complete(cb);
}

void enqueue_barrier(cl_command_queue queue, cl_context context, const EventList &events,
                     cl_event *barrier) {
    std::vector<cl_event> wait_list;
    wait_list.reserve(events.size() + 1);
    std::vector<cl_event> foreign;
    for (size_t i = 0; i < events.size(); ++i) {
        cl_context event_context = nullptr;
        check_cl(clGetEventInfo(events.data()[i], CL_EVENT_CONTEXT, sizeof event_context,
                                &event_context, nullptr),
                 "clGetEventInfo(CL_EVENT_CONTEXT)");
        (event_context == context ? wait_list : foreign).push_back(events.data()[i]);
    }
    if (!foreign.empty()) {
        Ref<Future> done = wait_events_async(foreign.data(), foreign.size());
        cl_int err = CL_SUCCESS;
        cl_event user_event = clCreateUserEvent(context, &err);
        check_cl(err, "clCreateUserEvent");
        wait_list.push_back(user_event);
        complete_user_event_when(*done, user_event);
    }
    check_cl(clEnqueueBarrierWithWaitList(queue, static_cast<cl_uint>(wait_list.size()),
                                          wait_list.data(), barrier),
             "clEnqueueBarrierWithWaitList");
}

} // namespace ordo::detail
