// Multi-resource tickets (ordo_resource_acquire_many): waits, releases together or
// one by one, and refused misuse.
#include "stress.hpp"

#include "../../tests/support/cl_count.hpp"

#include <algorithm>
#include <string>

namespace ordo_stress {

void Worker::multi_operation(size_t k) {
    switch (roll(16u)) {
    case 0:
    case 1:
    case 2:
        return multi_wait(k, false);
    case 3:
        return multi_wait(k, true);
    case 4:
        return multi_enqueue_wait(k);
    case 5:
    case 6:
        return multi_release_all(k, false);
    case 7:
        return multi_release_all(k, true);
    case 8:
    case 9:
    case 10:
        return multi_release_one(k);
    case 11:
        return multi_drop(k);
    case 12:
        return multi_misuse(k);
    default:
        return acquire_any();
    }
}

// The parts not released yet (the ones a multi-ticket wait waits for).
std::vector<Ticket *> Worker::open_parts(Multi &m) {
    std::vector<Ticket *> open;
    for (auto &p : m.parts)
        if (p->state.load(std::memory_order_acquire) != kReleased)
            open.push_back(p.get());
    return open;
}

void Worker::publish_multi(const char *what, Multi &m, ordo_deadline deadline) {
    std::vector<Ticket *> open = open_parts(m);
    publish_wait(what, open.data(), static_cast<int>(open.size()), deadline);
}

void Worker::observe_multi(Multi &m, const char *how) {
    for (Ticket *p : open_parts(m))
        observe_grant(*p, how);
}

void Worker::note_multi_timeout(Multi &m, ordo_deadline deadline) {
    g_count.timeouts.fetch_add(1, std::memory_order_relaxed);
    if (ordo_now() < deadline)
        violation("a multi-ticket wait timed out before its deadline");
    std::vector<Ticket *> open = open_parts(m);
    bool eligible = true;
    for (Ticket *p : open) {
        if (!p->tracked)
            return;
        eligible = eligible && predecessors_released(*p);
    }
    if (double stuck = stuck_seconds(eligible, m.eligible_since))
        violation("a multi-ticket (resource %d, ticket %llu, ...) is still not granted %.1f s "
                  "after every earlier ticket was released",
                  open[0]->res->index, static_cast<unsigned long long>(open[0]->position), stuck);
}

void Worker::multi_wait(size_t k, bool complete) {
    Multi &m = *multis_[k];
    ordo_deadline deadline = pick_wait_deadline();
    const cl_event *events = nullptr;
    size_t n = 0;
    const char *what = complete ? "ordo_multi_ticket_wait_complete" : "ordo_multi_ticket_wait";
    publish_multi(what, m, deadline);
    bool made_before = complete && m.union_wait_made;
    uint64_t registered = ordo_test::callback_registrations_on_this_thread();
    int status = complete ? ordo_multi_ticket_wait_complete(m.handle, deadline, &events, &n)
                          : ordo_multi_ticket_wait(m.handle, deadline, &events, &n);
    registered = ordo_test::callback_registrations_on_this_thread() - registered;
    end_wait();
    if (made_before && registered != 0)
        violation("ordo_multi_ticket_wait_complete registered %llu more event callbacks for a "
                  "union of events a wait already waits for",
                  static_cast<unsigned long long>(registered));
    // A wait for the events that timed out or failed may have fixed the
    // union already (the first wait that got every grant does).
    if (complete && (status == ORDO_ERROR_TIMEOUT || status == ORDO_ERROR_EVENT_FAILED))
        m.union_maybe_fixed = true;
    switch (status) {
    case ORDO_OK:
        m.eligible_since = 0;
        observe_multi(m, complete ? "multi wait for grants and events" : "multi wait");
        check_union(m, events, n, what);
        for (Ticket *p : open_parts(m))
            p->seen = true;
        if (complete) {
            check_events_complete(events, n, what);
            m.union_wait_made = m.union_wait_made || n != 0;
        }
        break;
    case kAppFailure:
        see_failed_part(m); // a predecessor failed; which part's is not said
        break;
    case ORDO_ERROR_EVENT_FAILED:
        if (!complete)
            violation("ordo_multi_ticket_wait returned ORDO_ERROR_EVENT_FAILED");
        g_count.event_failures.fetch_add(1, std::memory_order_relaxed);
        observe_multi(m, "multi wait whose events failed");
        m.union_wait_made = true;
        break;
    case ORDO_ERROR_TIMEOUT:
        if (!complete)
            note_multi_timeout(m, deadline);
        else
            g_count.timeouts.fetch_add(1, std::memory_order_relaxed);
        break;
    default:
        violation("%s returned %s (%s)", what, ordo_status_string(status),
                  ordo_last_error_message());
    }
}

void Worker::multi_enqueue_wait(size_t k) {
    Multi &m = *multis_[k];
    ordo_deadline deadline = pick_deadline();
    cl_event barrier = nullptr;
    publish_multi("ordo_multi_ticket_enqueue_wait", m, deadline);
    int status = ordo_multi_ticket_enqueue_wait(m.handle, queue_, deadline,
                                                roll(4u) != 0 ? &barrier : nullptr);
    end_wait();
    g_count.device_waits.fetch_add(1, std::memory_order_relaxed);
    if (status == ORDO_OK || status == ORDO_ERROR_EVENT_FAILED)
        m.union_maybe_fixed = true; // every grant came: the union is fixed, unseen here
    switch (status) {
    case ORDO_OK: {
        observe_multi(m, "multi device wait");
        for (Ticket *p : open_parts(m))
            p->seen = true;
        if (barrier != nullptr)
            m.device_work.push_back(barrier);
        cl_event marker = nullptr;
        if (clEnqueueMarkerWithWaitList(queue_, 0, nullptr, &marker) == CL_SUCCESS)
            m.device_work.push_back(marker);
        break;
    }
    case kAppFailure:
        see_failed_part(m);
        break;
    case ORDO_ERROR_EVENT_FAILED:
        // Every grant came; one of their events had failed already.
        g_count.event_failures.fetch_add(1, std::memory_order_relaxed);
        observe_multi(m, "multi device wait on a failed event");
        break;
    case ORDO_ERROR_TIMEOUT:
        note_multi_timeout(m, deadline);
        break;
    default:
        violation("ordo_multi_ticket_enqueue_wait returned %s (%s)", ordo_status_string(status),
                  ordo_last_error_message());
    }
}

std::vector<cl_event> Worker::multi_events_to_release(Multi &m) {
    std::vector<cl_event> list = std::move(m.device_work);
    m.device_work.clear();
    add_user_events(list);
    return list;
}

void Worker::multi_release_all(size_t k, bool fail) {
    Multi &m = *multis_[k];
    std::vector<cl_event> list;
    if (fail) {
        for (cl_event d : m.device_work)
            s_.events->track(d);
        m.device_work.clear();
    } else {
        list = multi_events_to_release(m);
    }
    for (Ticket *p : open_parts(m)) {
        ordo_model::Seen seen = seen_now(*p);
        begin_release(*p);
        if (fail)
            model_fail(*p, seen);
        else
            model_ready(*p, list.data(), list.size(), seen);
    }
    if (fail)
        CHECK_STATUS(ordo_multi_ticket_fail(m.handle, kAppFailure, "stress failure"),
                     check_status_ == ORDO_OK);
    else
        CHECK_STATUS(ordo_multi_ticket_ready(m.handle, list.data(), list.size()),
                     check_status_ == ORDO_OK);
    hand_over(list);
    (fail ? g_count.fails : g_count.releases).fetch_add(1, std::memory_order_relaxed);
    finish_multi(k, roll(8u) == 0);
}

void Worker::multi_release_one(size_t k) {
    Multi &m = *multis_[k];
    std::vector<size_t> open;
    for (size_t j = 0; j < m.parts.size(); ++j)
        if (m.parts[j]->state.load() != kReleased)
            open.push_back(j);
    size_t j = open[roll(open.size())];
    bool fail = roll(4u) == 0;
    std::vector<cl_event> list;
    if (!fail)
        list = multi_events_to_release(m);
    ordo_model::Seen seen = seen_now(*m.parts[j]);
    begin_release(*m.parts[j]);
    if (fail)
        model_fail(*m.parts[j], seen);
    else
        model_ready(*m.parts[j], list.data(), list.size(), seen);
    if (fail)
        CHECK_STATUS(ordo_multi_ticket_fail_one(m.handle, j, kAppFailure, "stress failure"),
                     check_status_ == ORDO_OK);
    else
        CHECK_STATUS(ordo_multi_ticket_ready_one(m.handle, j, list.data(), list.size()),
                     check_status_ == ORDO_OK);
    hand_over(list);
    g_count.release_ones.fetch_add(1, std::memory_order_relaxed);
    if (open.size() == 1)
        finish_multi(k, roll(4u) == 0);
}

void Worker::multi_drop(size_t k) {
    Multi &m = *multis_[k];
    for (cl_event d : m.device_work)
        s_.events->track(d);
    m.device_work.clear();
    for (Ticket *p : open_parts(m)) {
        ordo_model::Seen seen = seen_now(*p);
        begin_release(*p);
        model_nothing(*p, seen);
    }
    g_count.drops.fetch_add(1, std::memory_order_relaxed);
    finish_multi(k, false); // ordo releases the open parts, with warnings
}

void Worker::finish_multi(size_t k, bool misuse) {
    Multi &m = *multis_[k];
    if (misuse) {
        // Every part is released: the rest is refused.
        CHECK_STATUS(ordo_multi_ticket_ready(m.handle, nullptr, 0),
                     check_status_ == ORDO_ERROR_INVALID_STATE);
        CHECK_STATUS(ordo_multi_ticket_fail(m.handle, kAppFailure, nullptr),
                     check_status_ == ORDO_ERROR_INVALID_STATE);
        CHECK_STATUS(ordo_multi_ticket_wait(m.handle, ordo_now(), nullptr, nullptr),
                     check_status_ == ORDO_ERROR_INVALID_STATE);
        CHECK_STATUS(ordo_multi_ticket_ready_one(m.handle, roll(m.parts.size()), nullptr, 0),
                     check_status_ == ORDO_ERROR_INVALID_STATE);
        g_count.misuse_refused.fetch_add(4, std::memory_order_relaxed);
    }
    CHECK_STATUS(ordo_multi_ticket_destroy(m.handle), check_status_ == ORDO_OK);
    for (cl_event d : m.device_work)
        s_.events->track(d);
    multis_[k] = std::move(multis_.back());
    multis_.pop_back();
}

void Worker::multi_misuse(size_t k) {
    Multi &m = *multis_[k];
    size_t n = 0;
    CHECK_STATUS(ordo_multi_ticket_size(m.handle, &n), check_status_ == ORDO_OK);
    if (n != m.parts.size())
        violation("ordo_multi_ticket_size gave %zu, expected %zu", n, m.parts.size());
    CHECK_STATUS(ordo_multi_ticket_ready_one(m.handle, m.parts.size() + roll(4u), nullptr, 0),
                 check_status_ == ORDO_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ordo_multi_ticket_fail_one(m.handle, roll(m.parts.size()), 1, nullptr),
                 check_status_ == ORDO_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ordo_multi_ticket_ready(m.handle, nullptr, 1),
                 check_status_ == ORDO_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ordo_multi_ticket_size(m.handle, nullptr),
                 check_status_ == ORDO_ERROR_INVALID_ARGUMENT);
    g_count.misuse_refused.fetch_add(4, std::memory_order_relaxed);
    for (size_t j = 0; j < m.parts.size(); ++j) {
        if (m.parts[j]->state.load() != kReleased)
            continue;
        CHECK_STATUS(ordo_multi_ticket_ready_one(m.handle, j, nullptr, 0),
                     check_status_ == ORDO_ERROR_INVALID_STATE);
        CHECK_STATUS(ordo_multi_ticket_fail_one(m.handle, j, kAppFailure, nullptr),
                     check_status_ == ORDO_ERROR_INVALID_STATE);
        g_count.misuse_refused.fetch_add(2, std::memory_order_relaxed);
        break;
    }
}

// A multi-ticket wait that was granted: the union it returned is one the
// model allows (and the same as the first wait's, which ordo keeps).
void Worker::check_union(Multi &m, const cl_event *events, size_t n, const char *what) {
    ordo_model::Events got =
        ordo_model::make_events(reinterpret_cast<const void *const *>(events), n);
    if (m.union_events) {
        if (got != *m.union_events)
            violation("%s gave another union of events than the first wait", what);
        return;
    }
    m.union_events = got;
    if (m.union_maybe_fixed)
        return; // by a wait that came earlier, when other parts were open
    std::vector<ordo_model::Events> allowed = possible_unions(open_parts(m));
    if (allowed.empty())
        return; // a free resource's part, or more outcomes than followed
    g_count.grants_carried.fetch_add(1, std::memory_order_relaxed);
    if (std::find(allowed.begin(), allowed.end(), got) == allowed.end()) {
        std::string parts;
        for (Ticket *p : open_parts(m)) {
            std::optional<ordo_model::Possible> g = model_grant(*p);
            std::lock_guard lock(p->res->model_mutex);
            parts += " [resource " + std::to_string(p->res->index) + " #" +
                     std::to_string(p->position) + ": " + (g ? g->describe() : "undecided") +
                     p->res->model.explain(p->model_id, 2) + "]";
        }
        violation("%s gave a union of %s that the contract does not allow:%s", what,
                  ordo_model::Outcome::done(got).describe().c_str(), parts.c_str());
    }
}

// A multi-ticket wait answered a predecessor's failure: the first open part
// (in order) whose grant failed saw it, the parts after it did not. The
// model says which; past a part that may have failed (or that it does not
// follow: a free resource's), only which may have.
void Worker::see_failed_part(Multi &m) {
    bool sure = true;
    for (Ticket *p : open_parts(m)) {
        std::optional<ordo_model::Possible> g = model_grant(*p);
        bool any_failed = !g || g->unknown(), all_failed = !any_failed;
        if (g && !g->unknown())
            for (const ordo_model::Outcome &o : g->outcomes()) {
                any_failed = any_failed || o.failed;
                all_failed = all_failed && o.failed;
            }
        if (all_failed) {
            (sure ? p->seen : p->seen_maybe) = true;
            return;
        }
        if (any_failed) {
            p->seen_maybe = true;
            sure = false;
        }
    }
}

} // namespace ordo_stress
