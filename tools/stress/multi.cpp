// Multi-resource tickets (ordo_acquire_many): waits, releases together or
// one by one, and refused misuse.
#include "stress.hpp"

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
    int status = complete ? ordo_multi_ticket_wait_complete(m.handle, deadline, &events, &n)
                          : ordo_multi_ticket_wait(m.handle, deadline, &events, &n);
    end_wait();
    switch (status) {
    case ORDO_OK:
        m.eligible_since = 0;
        observe_multi(m, complete ? "multi wait for grants and events" : "multi wait");
        if (complete)
            check_events_complete(events, n, what);
        break;
    case kAppFailure:
        break; // a predecessor failed; which part's is not said
    case ORDO_ERROR_EVENT_FAILED:
        if (!complete)
            violation("ordo_multi_ticket_wait returned ORDO_ERROR_EVENT_FAILED");
        g_count.event_failures.fetch_add(1, std::memory_order_relaxed);
        observe_multi(m, "multi wait whose events failed");
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
    switch (status) {
    case ORDO_OK: {
        observe_multi(m, "multi device wait");
        if (barrier != nullptr)
            m.device_work.push_back(barrier);
        cl_event marker = nullptr;
        if (clEnqueueMarkerWithWaitList(queue_, 0, nullptr, &marker) == CL_SUCCESS)
            m.device_work.push_back(marker);
        break;
    }
    case kAppFailure:
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
    for (Ticket *p : open_parts(m))
        begin_release(*p);
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
    begin_release(*m.parts[j]);
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
    for (Ticket *p : open_parts(m))
        begin_release(*p);
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

} // namespace ordo_stress
