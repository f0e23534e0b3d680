// The fuzzer's oracle: a shadow of every handle the harness made, and the
// reference model (tests/model) of what each call must answer and what each
// grant must carry. The harness asks the shadow what a call must return
// before making it (a release the shadow knows will be accepted is applied
// to the model first, because the call's own callbacks may already observe
// its effects), makes the call, and hands the shadow the result, which it
// checks. A mismatch is printed and aborts: libFuzzer keeps the input.
//
// The fuzzer runs every call on one thread, and grants complete only on
// releases, so the model knows exactly when each grant completes and when
// each grant future delivers. What the OpenCL runtime decides on its own
// threads (when an event wait's callback comes) is allowed either way, and
// checked for consistency with the events' statuses.
//
// The members are defined in shadow.cpp (what the families share) and, by
// family of calls, in shadow_tickets.cpp, shadow_futures.cpp,
// shadow_queues.cpp, shadow_multi.cpp and shadow_completions.cpp.
#pragma once

#include "../model/model.hpp"

#include <ordo/ordo.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ordo_fuzz {

using ordo_model::Event;
using ordo_model::Events;
using ordo_model::Outcome;
using ordo_model::Possible;

struct TicketRec;

// One completion, shared by every future handle of it.
struct Completion {
    // kUnknown: the runtime decides (a backlog future, or an event wait
    // whose cancel raced its events).
    enum Kind { kGrant, kPromise, kEventWait, kUnknown, kDone } kind = kDone;
    uint64_t id = 0;
    TicketRec *ticket = nullptr; // kGrant (the shadow keeps every ticket record)
    bool cancelled = false;      // a cancel of ours succeeded first
    // kPromise
    bool settled = false;
    Outcome outcome;
    // kEventWait: the events waited for
    Events events;
};

struct TicketRec {
    ordo_model::TicketId id;
    bool live = true; // its handle (none for a multi-ticket's part)
    bool released = false;
    bool seen = false;         // a wait of ours returned the grant (or took a done one)
    bool grant_done = false;   // every ticket its grant waits for has released
    uint64_t delivered_op = 0; // the call during which a grant future delivered it
    std::vector<std::shared_ptr<Completion>> grant_futures;
};

class Shadow {
public:
    // A plan's answer when the runtime decides: checked after the call.
    static constexpr int kRuntimeDecides = 1000;

    Shadow() = default;

    // Called at the start of each call the harness makes (a new "op").
    void begin_op() { ++op_; }
    // True while a callback of ours runs (it may release tickets).
    void set_in_callback(bool in) { in_callback_ = in; }

    // --- resources ---------------------------------------------------------
    void resource_created(ordo_resource r);
    bool resource_live(ordo_resource r) const;
    void resource_destroyed(ordo_resource r, int status);
    // A call whose handle argument is valid (or not) as the shadow knows:
    // a bad handle must be answered ORDO_ERROR_INVALID_HANDLE, a good one not.
    static void check_handle(const char *call, bool valid, int status);
    bool queue_live(ordo_job_queue q) const;
    bool multi_live(ordo_multi_ticket m) const;
    bool promise_live(ordo_promise p) const;

    // --- tickets -----------------------------------------------------------
    // Acquire on a live resource: the shadow's new ticket.
    void acquired(ordo_resource r, bool shared, ordo_ticket t);
    std::shared_ptr<TicketRec> ticket(ordo_ticket t) const; // live handles only, else null
    void check_wait(ordo_ticket t, int status, const cl_event *events, size_t n, bool asked_events);
    // wait_complete: registrations = clSetEventCallback calls the call made.
    void check_wait_complete(ordo_ticket t, int status, const cl_event *events, size_t n,
                             bool asked_events, uint64_t registrations);
    void check_enqueue_wait(ordo_ticket t, bool null_queue, int status, cl_event barrier,
                            bool asked_barrier);
    void check_enqueue_wait_deferred(ordo_ticket t, bool null_queue, int status, cl_event barrier);
    void grant_future_taken(ordo_ticket t, bool null_out, int status, ordo_future f);
    // Releases: the expected status; when it is ORDO_OK the model has already
    // been updated (before the call), and the harness checks the status.
    int plan_ready(ordo_ticket t, const cl_event *events, size_t n);
    int plan_fail(ordo_ticket t, int status, const char *message);
    int plan_cancel(ordo_ticket t);
    int plan_destroy(ordo_ticket t);
    void check_planned(const char *call, int expected, int status);

    // --- futures and promises -----------------------------------------------
    void future_made(ordo_future f, std::shared_ptr<Completion> c);
    std::shared_ptr<Completion> completion(ordo_future f) const; // live handles only
    void check_poll(ordo_future f, int status);
    // ordo_future_wait with a deadline that has passed; cancel_flag: flags
    // had ORDO_WAIT_CANCEL (and nothing else).
    int plan_future_wait(ordo_future f, unsigned flags);
    void check_future_wait(ordo_future f, unsigned flags, int expected, int status);
    void check_future_events(ordo_future f, int status, const cl_event *events, size_t n);
    void check_future_failure(ordo_future f, int status, int failure_status, const char *message);
    int plan_future_cancel(ordo_future f);
    void future_destroyed(ordo_future f, int status);
    void promise_created(ordo_promise p);
    void promise_future(ordo_promise p, int status, ordo_future f);
    int plan_promise_complete(ordo_promise p, const cl_event *events, size_t n);
    int plan_promise_fail(ordo_promise p, int status, const char *message);
    int plan_promise_destroy(ordo_promise p);
    void event_wait_made(const cl_event *events, size_t n, ordo_future f);

    // --- job queues ----------------------------------------------------------
    void queue_created(ordo_job_queue q, size_t max_pending);
    int plan_queue_add(ordo_job_queue q, ordo_future f, bool may_wait);
    void check_queue_add(const char *call, ordo_job_queue q, ordo_future f, int expected,
                         int status);
    void check_queue_clean(ordo_job_queue q, int status);
    void check_queue_finish(ordo_job_queue q, size_t max_remaining, int status);
    void check_queue_query(ordo_job_queue q, bool size_null, int size_status, size_t size,
                           bool backlog_null, int backlog_status, size_t backlog);
    void queue_destroyed(ordo_job_queue q, int status);

    // --- multi-resource tickets and rings ----------------------------------------
    void multi_acquired(const ordo_resource *resources, size_t n, const ordo_mode *modes,
                        ordo_multi_ticket m);
    void check_multi_wait(ordo_multi_ticket m, int status, const cl_event *events, size_t n,
                          bool asked_events, bool complete, uint64_t registrations);
    void check_multi_enqueue_wait(ordo_multi_ticket m, bool null_queue, int status,
                                  cl_event barrier, bool asked_barrier);
    int plan_multi_ready(ordo_multi_ticket m, const cl_event *events, size_t n);
    int plan_multi_fail(ordo_multi_ticket m, int status, const char *message);
    int plan_multi_ready_one(ordo_multi_ticket m, size_t index, const cl_event *events, size_t n);
    int plan_multi_fail_one(ordo_multi_ticket m, size_t index, int status, const char *message);
    int plan_multi_destroy(ordo_multi_ticket m);
    void ring_created(const ordo_resource *resources, size_t n, ordo_ring ring);
    // A ring acquire that succeeded: checks the index, returns the ticket's
    // resource's shadow.
    void ring_acquired(ordo_ring ring, bool shared, ordo_ticket t, const size_t *index);
    bool ring_live(ordo_ring ring) const;
    void ring_destroyed(ordo_ring ring, int status);

    // --- completion queues ---------------------------------------------------
    void completion_queue_created(ordo_completion_queue q);
    bool completion_queue_live(ordo_completion_queue q) const;
    int plan_post(ordo_completion_queue q, ordo_future f) const;
    void posted(ordo_completion_queue q, ordo_future f, uint64_t tag);
    // A read (or a wait with a passed deadline) that returned status and n
    // completions in out, with capacity given (0: refused).
    void check_completions(const char *call, ordo_completion_queue q, size_t capacity,
                           bool null_count, int status, const ordo_completion *out, size_t n);
    void check_outstanding(ordo_completion_queue q, int status, size_t count);
    // Posts whose completions were not read yet (the end of an input drains).
    size_t unread(ordo_completion_queue q) const;
    void completion_queue_destroyed(ordo_completion_queue q, int status);

    // At the end of an input (every handle destroyed, every user event
    // set, the queues finished): checks what device waits' barriers did.
    void check_barriers();

    [[noreturn]] static void violation(const std::string &what);

    uint64_t grants_checked() const { return model_.grants_checked(); }

private:
    struct MultiRec {
        std::vector<std::shared_ptr<TicketRec>> parts;
        bool live = true;
        std::optional<Events> union_events; // the union of the first wait that got it
        bool union_wait_made = false;
    };
    struct QueueRec {
        std::unique_ptr<ordo_model::JobQueueModel> model;
        std::vector<std::shared_ptr<Completion>> jobs; // added, in order (for refresh)
        bool exact = true;                             // every job's completion known to the shadow
        bool live = true;
    };
    struct RingRec {
        std::vector<int> members; // shadow resource numbers
        uint64_t turns = 0;
        bool live = true;
    };
    // A completion queue: what each unread post's tag stands for.
    struct CompletionQueueRec {
        std::map<uint64_t, std::shared_ptr<Completion>> unread;
        bool live = true;
    };
    // A device wait's barrier and what it waited for.
    struct Barrier {
        cl_event event;
        std::shared_ptr<TicketRec> ticket; // deferred: the grant decides
        Events inputs;                     // immediate: the grant's events
        bool deferred = false;
    };

    static uintptr_t key(const void *h) { return reinterpret_cast<uintptr_t>(h); }
    Possible grant_possible(const TicketRec &t);
    // After the model changed: grants that completed now deliver to their
    // grant futures.
    void deliver();
    ordo_model::Seen seen_at_release(const TicketRec &t) const;
    // The state of a completion, as the shadow knows it: ORDO_PENDING,
    // ORDO_OK or a failure status; nullopt if the runtime decides (an event
    // wait or a backlog future). For a grant, *possible receives the outcomes.
    std::optional<int> state_of(const Completion &c, Possible *possible = nullptr);
    void refresh(QueueRec &q);
    int events_argument_status(const cl_event *events, size_t n) const;
    cl_int status_of(Event e) const;
    bool all_complete(const Events &events) const;
    bool any_failed(const Events &events) const;
    void observe(const TicketRec &t, const Outcome &o, const char *how);
    void check_union(MultiRec &m, const cl_event *events, size_t n);
    std::vector<Possible> part_grants(MultiRec &m, bool *pending, size_t *failed_part);

    ordo_model::Chains model_;
    uint64_t op_ = 0;
    uint64_t next_id_ = 1;
    bool in_callback_ = false;
    std::map<uintptr_t, std::pair<int, bool>> resources_; // handle: model number, live
    std::map<uintptr_t, std::shared_ptr<TicketRec>> tickets_;
    std::vector<std::shared_ptr<TicketRec>> all_tickets_;
    std::map<uintptr_t, std::pair<std::shared_ptr<Completion>, bool>> futures_;
    std::map<uintptr_t, std::pair<std::shared_ptr<Completion>, bool>> promises_;
    std::map<uintptr_t, QueueRec> queues_;
    std::map<uintptr_t, MultiRec> multis_;
    std::map<uintptr_t, RingRec> rings_;
    std::map<uintptr_t, CompletionQueueRec> completion_queues_;
    std::map<std::pair<int, uint64_t>, bool> grant_waits_made_; // per grant (resource, unit)
    std::vector<Barrier> barriers_;
};

} // namespace ordo_fuzz
