// Waiting for single tickets: on the host, on the device (at once or
// deferred), through a grant future, or asynchronously for the grant's
// events; and what a blocking call publishes for the watchdog.
#include "stress.hpp"

#include "../../tests/support/cl_count.hpp"

namespace ordo_stress {

// A deadline that often has passed or passes soon.
ordo_deadline Worker::pick_deadline() {
    switch (roll(10u)) {
    case 0:
    case 1:
    case 2:
    case 3:
        return ordo_now() - 1; // a poll
    case 4:
    case 5:
    case 6:
    case 7:
    case 8:
        return ordo_deadline_after(roll(500'000u)); // up to 0.5 ms
    default:
        return ordo_deadline_after(roll(5'000'000u)); // up to 5 ms
    }
}

// A grant-only wait that timed out although every earlier ticket has been
// released long ago is a lost wake-up.
void Worker::note_timeout(Ticket &t, ordo_deadline deadline) {
    g_count.timeouts.fetch_add(1, std::memory_order_relaxed);
    if (ordo_now() < deadline)
        violation("resource %d: a wait for ticket %llu timed out before its deadline", t.res->index,
                  static_cast<unsigned long long>(t.position));
    if (!t.tracked)
        return; // its predecessors are not known
    if (double stuck = stuck_seconds(predecessors_released(t), t.eligible_since))
        violation("resource %d: %s ticket %llu is still not granted %.1f s after every "
                  "earlier ticket was released",
                  t.res->index, mode_name(t.mode), static_cast<unsigned long long>(t.position),
                  stuck);
}

// The watchdog on waits that time out: since is when the wait became
// eligible (every earlier ticket released), 0 while it is not. Returns
// how long it has been eligible once that exceeds --stuck-ms, else 0.
double Worker::stuck_seconds(bool eligible, int64_t &since) {
    if (!eligible) {
        since = 0;
        return 0;
    }
    int64_t now = ordo_now();
    if (since == 0)
        since = now;
    return now - since > s_.options.stuck_ns ? (now - since) / 1e9 : 0;
}

void Worker::publish_wait(const char *what, Ticket *const *tickets, int n, ordo_deadline deadline) {
    WaitSlot &slot = s_.slots[index_];
    slot.what.store(what, std::memory_order_release);
    slot.count.store(n, std::memory_order_release);
    for (int k = 0; k < n; ++k) {
        slot.resource[k].store(tickets[k]->res->index, std::memory_order_release);
        slot.position[k].store(tickets[k]->position, std::memory_order_release);
        slot.need[k].store(tickets[k]->need, std::memory_order_release);
        slot.tracked[k].store(tickets[k]->tracked, std::memory_order_release);
    }
    slot.deadline.store(deadline, std::memory_order_release);
    slot.generation.fetch_add(1, std::memory_order_acq_rel); // odd: published
}

void Worker::publish_wait(const char *what, Ticket &t, ordo_deadline deadline) {
    Ticket *one = &t;
    publish_wait(what, &one, 1, deadline);
}

// Waits without a deadline, only while holding this one ticket or
// multi-ticket: every blocked thread then waits for tickets earlier than
// its own on their resources, and ordo_resource_acquire_many never interleaves
// the places of two calls, so the waits cannot form a cycle.
ordo_deadline Worker::pick_wait_deadline() {
    if (holdings() == 1 && roll(8u) == 0) {
        g_count.never_waits.fetch_add(1, std::memory_order_relaxed);
        return ORDO_DEADLINE_NEVER;
    }
    return pick_deadline();
}

void Worker::check_events_complete(const cl_event *events, size_t n, const char *what) {
    for (size_t k = 0; k < n; ++k) {
        cl_int s = CL_QUEUED;
        clGetEventInfo(events[k], CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof s, &s, nullptr);
        if (s != CL_COMPLETE)
            violation("%s returned with an event in status %d", what, s);
    }
}

void Worker::host_wait(size_t i, bool complete) {
    Ticket &t = *held_[i];
    if (released(i))
        return misuse_after_release(i);
    ordo_deadline deadline = pick_wait_deadline();
    const cl_event *events = nullptr;
    size_t n = 0;
    const char *what = complete ? "ordo_ticket_wait_complete" : "ordo_ticket_wait";
    publish_wait(what, t, deadline);
    // A wait for the grant's events made by an earlier call is reused: this
    // call then registers no event callback (ordo-test's counting layer).
    bool made_before = complete && events_wait_made(t);
    uint64_t registered = ordo_test::callback_registrations_on_this_thread();
    int status = complete ? ordo_ticket_wait_complete(t.handle, deadline, &events, &n)
                          : ordo_ticket_wait(t.handle, deadline, &events, &n);
    registered = ordo_test::callback_registrations_on_this_thread() - registered;
    end_wait();
    if (made_before && registered != 0)
        violation("resource %d: ordo_ticket_wait_complete of ticket %llu registered %llu more "
                  "event callbacks for a grant whose events a wait already waits for",
                  t.res->index, static_cast<unsigned long long>(t.position),
                  static_cast<unsigned long long>(registered));
    switch (status) {
    case ORDO_OK:
    case kAppFailure:
        t.eligible_since = 0;
        observe_grant(t, complete ? "host wait for grant and events" : "host wait");
        check_grant(t, status, events, n, true, ordo_last_error_message(), what);
        t.seen = true;
        if (status == ORDO_OK && complete) {
            check_events_complete(events, n, "ordo_ticket_wait_complete");
            if (n != 0)
                note_events_wait_made(t);
        }
        break;
    case ORDO_ERROR_EVENT_FAILED:
        if (!complete)
            violation("ordo_ticket_wait returned ORDO_ERROR_EVENT_FAILED");
        g_count.event_failures.fetch_add(1, std::memory_order_relaxed);
        observe_grant(t, "host wait whose events failed");
        note_events_wait_made(t);
        break;
    case ORDO_ERROR_TIMEOUT:
        if (!complete)
            note_timeout(t, deadline);
        else
            g_count.timeouts.fetch_add(1, std::memory_order_relaxed);
        break;
    default:
        violation("resource %d: host wait of ticket %llu returned %s (%s)", t.res->index,
                  static_cast<unsigned long long>(t.position), ordo_status_string(status),
                  ordo_last_error_message());
    }
}

void Worker::device_wait(size_t i) {
    Ticket &t = *held_[i];
    if (released(i))
        return misuse_after_release(i);
    ordo_deadline deadline = pick_deadline();
    cl_event barrier = nullptr;
    publish_wait("ordo_ticket_enqueue_wait", t, deadline);
    int status = ordo_ticket_enqueue_wait(t.handle, queue_, deadline, &barrier);
    end_wait();
    g_count.device_waits.fetch_add(1, std::memory_order_relaxed);
    switch (status) {
    case ORDO_OK: {
        observe_grant(t, "device wait");
        t.seen = true;
        check_device_wait_barrier(t, barrier);
        if (barrier != nullptr)
            t.device_work.push_back(barrier);
        // Some device work after the barrier: released with the ticket.
        cl_event marker = nullptr;
        if (clEnqueueMarkerWithWaitList(queue_, 0, nullptr, &marker) == CL_SUCCESS)
            t.device_work.push_back(marker);
        break;
    }
    case kAppFailure:
        observe_grant(t, "device wait");
        check_grant(t, status, nullptr, 0, false, ordo_last_error_message(), "device wait");
        t.seen = true;
        break;
    case ORDO_ERROR_EVENT_FAILED:
        g_count.event_failures.fetch_add(1, std::memory_order_relaxed);
        observe_grant(t, "device wait on a failed event");
        break;
    case ORDO_ERROR_TIMEOUT:
        note_timeout(t, deadline);
        break;
    default:
        violation("resource %d: device wait of ticket %llu returned %s (%s)", t.res->index,
                  static_cast<unsigned long long>(t.position), ordo_status_string(status),
                  ordo_last_error_message());
    }
}

// A deferred device wait: enqueued at once on the thread's second queue,
// whatever the grant. It does not make the holder a user of the resource
// on the host; its barrier fails if the predecessor fails.
void Worker::deferred_wait(size_t i) {
    Ticket &t = *held_[i];
    if (released(i))
        return misuse_after_release(i);
    if (roll(16u) == 0) {
        CHECK_STATUS(ordo_ticket_enqueue_wait_deferred(t.handle, nullptr, nullptr),
                     check_status_ == ORDO_ERROR_INVALID_ARGUMENT);
        g_count.misuse_refused.fetch_add(1, std::memory_order_relaxed);
    }
    if (!s_.options.deferred_failures && !granted_and_complete(t))
        return;
    cl_event barrier = nullptr;
    bool take = roll(4u) != 0;
    int status =
        ordo_ticket_enqueue_wait_deferred(t.handle, deferred_queue_, take ? &barrier : nullptr);
    if (!expect_status(status, ORDO_OK, "ordo_ticket_enqueue_wait_deferred"))
        return;
    g_count.deferred_waits.fetch_add(1, std::memory_order_relaxed);
    t.seen = true; // the device waits for the predecessor's events now
    if (barrier != nullptr) {
        t.deferred.push_back(barrier);
        t.barriers.push_back(Ticket::Barrier{barrier, true});
    }
    clFlush(deferred_queue_);
}

// Polls t's grant: notes a timeout, observes a grant that came (with or
// without failure), reports any other status. Returns the status.
int Worker::poll_grant(Ticket &t, const char *what, const cl_event **events, size_t *n) {
    ordo_deadline poll = ordo_now() - 1;
    int status = ordo_ticket_wait(t.handle, poll, events, n);
    if (status == ORDO_ERROR_TIMEOUT) {
        note_timeout(t, poll);
    } else if (status == ORDO_OK || status == kAppFailure) {
        t.eligible_since = 0;
        observe_grant(t, what);
        check_grant(t, status, events != nullptr ? *events : nullptr, n != nullptr ? *n : 0,
                    events != nullptr && n != nullptr, ordo_last_error_message(), what);
        t.seen = true;
    } else {
        violation("ordo_ticket_wait returned %s", ordo_status_string(status));
    }
    return status;
}

// Polls the grant (seeing it, if it has come): true if it came without
// failure and its events have all completed, so that a deferred wait on
// it cannot fail.
bool Worker::granted_and_complete(Ticket &t) {
    const cl_event *events = nullptr;
    size_t n = 0;
    if (poll_grant(t, "host poll before a deferred wait", &events, &n) != ORDO_OK)
        return false;
    for (size_t k = 0; k < n; ++k) {
        cl_int e = CL_QUEUED;
        clGetEventInfo(events[k], CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof e, &e, nullptr);
        if (e != CL_COMPLETE)
            return false;
    }
    return true;
}

void Worker::grant_future(size_t i) {
    TicketPtr &t = held_[i];
    if (released(i))
        return misuse_after_release(i);
    if (t->grant != nullptr) {
        // Wait for it with a deadline instead.
        ordo_deadline deadline = pick_deadline();
        int status = ordo_future_wait(t->grant, deadline, 0);
        if (status == ORDO_OK || status == kAppFailure) {
            observe_grant(*t, "grant future wait");
            check_grant_future(*t, t->grant, status, "grant future wait");
        } else if (status != ORDO_ERROR_TIMEOUT && status != ORDO_ERROR_CANCELLED) {
            violation("grant future wait returned %s", ordo_status_string(status));
        }
        return;
    }
    CHECK_STATUS(ordo_ticket_grant_future(t->handle, &t->grant), check_status_ == ORDO_OK);
    t->grant_future_taken = true;
    t->callback_pending.store(true);
    s_.watchdog->watch_grant(t);
    auto *cb = new GrantCallback{t};
    CHECK_STATUS(ordo_future_clone(t->grant, &cb->clone), check_status_ == ORDO_OK);
    if (roll(2u) == 0)
        s_.completions->post(t->grant, cb); // read by the completion queue's thread
    else
        CHECK_STATUS(ordo_future_on_complete(t->grant, on_grant_future, cb),
                     check_status_ == ORDO_OK);
    if (roll(2u) == 0) { // the callback stays registered without the handle
        ordo_future_destroy(t->grant);
        t->grant = nullptr;
    }
}

void Worker::async_wait_for_grant_events(size_t i) {
    Ticket &t = *held_[i];
    if (released(i))
        return misuse_after_release(i);
    const cl_event *events = nullptr;
    size_t n = 0;
    if (poll_grant(t, "poll before an asynchronous wait", &events, &n) != ORDO_OK || n == 0)
        return;
    auto w = std::make_unique<AsyncWait>();
    CHECK_STATUS(ordo_events_wait_async(events, n, &w->future), check_status_ == ORDO_OK);
    if (w->future == nullptr)
        return;
    for (size_t k = 0; k < n; ++k) {
        clRetainEvent(events[k]);
        w->events.push_back(events[k]);
    }
    CHECK_STATUS(ordo_future_on_complete(w->future, on_async_wait, w.get()),
                 check_status_ == ORDO_OK);
    g_count.async_waits.fetch_add(1, std::memory_order_relaxed);
    s_.watchdog->watch_async(std::move(w));
}

// A device wait that returned ORDO_OK: a barrier exactly when the grant has
// events (when the model knows them), and a check, at release, that the
// barrier completed only after them (check_barriers).
void Worker::check_device_wait_barrier(Ticket &t, cl_event barrier) {
    std::optional<ordo_model::Possible> p = model_grant(t);
    if (!p || p->unknown() || p->outcomes().size() != 1 || p->outcomes()[0].failed)
        return;
    const ordo_model::Events &events = p->outcomes()[0].events;
    g_count.barriers_checked.fetch_add(1, std::memory_order_relaxed);
    if (events.empty() != (barrier == nullptr))
        violation("resource %d: a device wait of ticket %llu gave %s for a grant of %zu events",
                  t.res->index, static_cast<unsigned long long>(t.position),
                  barrier != nullptr ? "a barrier" : "no barrier", events.size());
    if (barrier != nullptr)
        t.barriers.push_back(Ticket::Barrier{barrier, false});
}

// A grant future that completed with the grant: what it carries.
void check_grant_future(Ticket &t, ordo_future f, int status, const char *how) {
    t.grant_future_delivered.store(true, std::memory_order_release);
    if (status == ORDO_OK) {
        const cl_event *events = nullptr;
        size_t n = 0;
        if (ordo_future_events(f, &events, &n) == ORDO_OK)
            check_grant(t, status, events, n, true, nullptr, how);
    } else {
        int failure = 0;
        const char *message = nullptr;
        if (ordo_future_failure(f, &failure, &message, nullptr) == ORDO_OK)
            check_grant(t, failure, nullptr, 0, false, message, how);
    }
}

// A scenario for the seen rule: two tickets in a row on one resource, the
// second's grant future given up (a wait with ORDO_WAIT_CANCEL that times
// out, a cancel, or its ticket destroyed) while the first, this thread's,
// is unreleased, so the grant cannot have come: the second never saw it and
// its release must forward the first's events or failure to whoever comes
// next. The first is kept, and released later like any other.
void Worker::give_up_grant_future() {
    Resource &r = *s_.tracked[roll(s_.tracked.size())];
    TicketPtr first = std::make_shared<Ticket>(), second = std::make_shared<Ticket>();
    for (TicketPtr *t : {&first, &second}) {
        (*t)->res = &r;
        (*t)->mode = Mode::kExclusive;
        publish_call("ordo_resource_acquire");
        int status;
        {
            std::lock_guard lock(r.acquire_mutex);
            status = ordo_resource_acquire(r.handle, &(*t)->handle);
            if (status == ORDO_OK)
                take_position(**t);
        }
        end_wait();
        if (!expect_status(status, ORDO_OK, "ordo_resource_acquire"))
            return;
        count_acquire(**t);
    }
    held_.push_back(first);
    Ticket &t = *second;
    ordo_future grant = nullptr;
    CHECK_STATUS(ordo_ticket_grant_future(t.handle, &grant), check_status_ == ORDO_OK);
    t.grant_future_taken = true;
    // The first is unreleased and this thread's: seen_now says "not seen".
    ordo_model::Seen seen = seen_now(t);
    if (seen != ordo_model::Seen::kNo)
        violation("internal: a blocked grant future counted as possibly seen");
    begin_release(t);
    model_nothing(t, seen);
    switch (roll(3u)) {
    case 0:
        CHECK_STATUS(ordo_future_wait(grant, ordo_deadline_after(100'000), ORDO_WAIT_CANCEL),
                     check_status_ == ORDO_ERROR_TIMEOUT);
        CHECK_STATUS(ordo_future_poll(grant), check_status_ == ORDO_ERROR_CANCELLED);
        t.grant_future_cancelled = true;
        break;
    case 1:
        CHECK_STATUS(ordo_future_cancel(grant), check_status_ == ORDO_OK);
        t.grant_future_cancelled = true;
        break;
    default:
        break; // destroyed below, unreleased: released with no events
    }
    CHECK_STATUS(ordo_ticket_destroy(t.handle), check_status_ == ORDO_OK);
    t.handle = nullptr;
    ordo_future_destroy(grant);
    g_count.given_up.fetch_add(1, std::memory_order_relaxed);
}

} // namespace ordo_stress
