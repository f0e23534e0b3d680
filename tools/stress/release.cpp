// Releasing single tickets: ready (with events), failed, dropped, cancelled;
// and refused misuse of a released ticket.
#include "stress.hpp"

namespace ordo_stress {

// A deferred wait's barrier goes into a release only once it has ended
// (completed, or failed already): one that may still fail is never
// handed on. The others are only tracked for their reference count.
void Worker::settle_deferred(Ticket &t, std::vector<cl_event> *list) {
    for (cl_event e : t.deferred) {
        if (list != nullptr && ended(e))
            list->push_back(e);
        else
            s_.events->track(e);
    }
    t.deferred.clear();
}

// The ticket's device work, when it is not released with it.
void Worker::discard_device_work(Ticket &t) {
    check_barriers(t);
    for (cl_event d : t.device_work)
        s_.events->track(d);
    t.device_work.clear();
    settle_deferred(t, nullptr);
}

void Worker::add_user_events(std::vector<cl_event> &list) {
    for (uint32_t k = roll(3u); k > 0; --k)
        if (cl_event e = s_.events->make_user_event())
            list.push_back(e);
}

// User events completed later by the completer thread, plus the device
// wait's barrier and marker, and deferred barriers that have ended.
std::vector<cl_event> Worker::events_to_release(Ticket &t) {
    check_barriers(t);
    std::vector<cl_event> list = std::move(t.device_work);
    t.device_work.clear();
    settle_deferred(t, &list);
    add_user_events(list);
    return list;
}

void Worker::hand_over(std::vector<cl_event> &list) {
    for (cl_event e : list) {
        cl_command_queue q = nullptr;
        clGetEventInfo(e, CL_EVENT_COMMAND_QUEUE, sizeof q, &q, nullptr);
        if (q == nullptr)
            s_.events->complete_later(e, roll(1'000'000u));
        else
            s_.events->track(e);
    }
    list.clear();
}

void Worker::finish(size_t i, bool misuse) {
    if (misuse)
        misuse_after_release(i);
    ordo_ticket stale = held_[i]->handle;
    CHECK_STATUS(ordo_ticket_destroy(stale), check_status_ == ORDO_OK);
    if (held_[i]->grant != nullptr)
        ordo_future_destroy(held_[i]->grant);
    held_[i]->handle = nullptr;
    // Used again a few operations later (stale_handle), once its memory may
    // serve another ticket.
    stale_.push_back(stale);
    if (stale_.size() > 16)
        stale_.erase(stale_.begin());
    held_[i] = std::move(held_.back());
    held_.pop_back();
}

void Worker::release_ready(size_t i) {
    Ticket &t = *held_[i];
    std::vector<cl_event> list = events_to_release(t);
    ordo_model::Seen seen = seen_now(t);
    if (!begin_release(t)) {
        hand_over(list);
        return finish(i, true);
    }
    model_ready(t, list.data(), list.size(), seen);
    CHECK_STATUS(ordo_ticket_ready(t.handle, list.data(), list.size()), check_status_ == ORDO_OK);
    hand_over(list);
    g_count.releases.fetch_add(1, std::memory_order_relaxed);
    finish(i, roll(8u) == 0);
}

void Worker::release_with_failed_event(size_t i) {
    Ticket &t = *held_[i];
    cl_event e = s_.events->make_user_event();
    if (e == nullptr)
        return;
    clSetUserEventStatus(e, kFailedEventStatus);
    discard_device_work(t);
    ordo_model::Seen seen = seen_now(t);
    if (!begin_release(t)) {
        s_.events->track(e);
        return finish(i, true);
    }
    model_ready(t, &e, 1, seen);
    CHECK_STATUS(ordo_ticket_ready(t.handle, &e, 1), check_status_ == ORDO_OK);
    // Tracked only now: the completer releases a tracked event whose count
    // is back to 1, which it would be until ordo retains it.
    s_.events->track(e);
    g_count.releases.fetch_add(1, std::memory_order_relaxed);
    finish(i, false);
}

void Worker::release_fail(size_t i) {
    Ticket &t = *held_[i];
    discard_device_work(t);
    ordo_model::Seen seen = seen_now(t);
    if (!begin_release(t))
        return finish(i, true);
    model_fail(t, seen);
    CHECK_STATUS(ordo_ticket_fail(t.handle, kAppFailure, "stress failure"),
                 check_status_ == ORDO_OK);
    g_count.fails.fetch_add(1, std::memory_order_relaxed);
    finish(i, roll(8u) == 0);
}

void Worker::drop(size_t i) {
    Ticket &t = *held_[i];
    discard_device_work(t);
    ordo_model::Seen seen = seen_now(t);
    if (begin_release(t))
        model_nothing(t, seen);
    g_count.drops.fetch_add(1, std::memory_order_relaxed);
    finish(i, false); // destroyed unreleased: ordo releases it, with a warning
}

void Worker::cancel(size_t i) {
    Ticket &t = *held_[i];
    discard_device_work(t);
    ordo_model::Seen seen = seen_now(t);
    if (!begin_release(t))
        return finish(i, true);
    model_nothing(t, seen);
    CHECK_STATUS(ordo_ticket_cancel(t.handle), check_status_ == ORDO_OK);
    g_count.cancels.fetch_add(1, std::memory_order_relaxed);
    finish(i, roll(8u) == 0);
}

void Worker::cancel_through_grant_future(size_t i) {
    Ticket &t = *held_[i];
    if (t.grant == nullptr || ordo_future_poll(t.grant) != ORDO_PENDING)
        return cancel(i);
    discard_device_work(t);
    // Whether the cancel wins, or the grant future delivers first, decides
    // what was seen: unless the grant cannot come now, the model allows both.
    ordo_model::Seen seen = seen_now(t);
    if (!begin_release(t))
        return finish(i, true);
    model_nothing(t, seen);
    int status = ordo_future_cancel(t.grant);
    if (status == ORDO_OK)
        t.grant_future_cancelled = true;
    if (status == ORDO_ERROR_INVALID_STATE) {
        // Granted meanwhile: the ticket is still held; give it up.
        CHECK_STATUS(ordo_ticket_cancel(t.handle), check_status_ == ORDO_OK);
    } else if (status != ORDO_OK) {
        violation("ordo_future_cancel returned %s", ordo_status_string(status));
    } else {
        // The grant future failed with ORDO_ERROR_CANCELLED; the ticket gave its place up.
        CHECK_STATUS(ordo_ticket_cancel(t.handle), check_status_ == ORDO_ERROR_INVALID_STATE);
    }
    g_count.cancels.fetch_add(1, std::memory_order_relaxed);
    finish(i, false);
}

void Worker::release_any(size_t i) {
    switch (roll(4u)) {
    case 0:
        return drop(i);
    case 1:
        return release_fail(i);
    default:
        return release_ready(i);
    }
}

void Worker::release_any_holding() {
    size_t k = roll(holdings());
    if (k < held_.size())
        return release_any(k);
    k -= held_.size();
    switch (roll(4u)) {
    case 0:
        return multi_drop(k);
    case 1:
        return multi_release_one(k);
    case 2:
        return multi_release_all(k, roll(2u) == 0);
    default:
        return multi_release_all(k, false);
    }
}

// Misuse of a released ticket is refused and changes nothing.
void Worker::misuse_after_release(size_t i) {
    Ticket &t = *held_[i];
    CHECK_STATUS(ordo_ticket_ready(t.handle, nullptr, 0),
                 check_status_ == ORDO_ERROR_INVALID_STATE);
    CHECK_STATUS(ordo_ticket_wait(t.handle, ordo_now(), nullptr, nullptr),
                 check_status_ == ORDO_ERROR_INVALID_STATE);
    CHECK_STATUS(ordo_ticket_fail(t.handle, kAppFailure, nullptr),
                 check_status_ == ORDO_ERROR_INVALID_STATE);
    CHECK_STATUS(ordo_ticket_enqueue_wait_deferred(t.handle, deferred_queue_, nullptr),
                 check_status_ == ORDO_ERROR_INVALID_STATE);
    g_count.misuse_refused.fetch_add(4, std::memory_order_relaxed);
}

// An earlier ticket of this thread on t's resource is unreleased: t's grant
// cannot come while this thread is in a call.
bool Worker::blocked_by_own(const Ticket &t) {
    if (!t.tracked)
        return false;
    auto blocks = [&](const Ticket &u) {
        return &u != &t && u.res == t.res && u.position < t.need &&
               u.state.load(std::memory_order_acquire) != kReleased;
    };
    for (const TicketPtr &u : held_)
        if (blocks(*u))
            return true;
    for (const MultiPtr &m : multis_)
        for (const TicketPtr &u : m->parts)
            if (blocks(*u))
                return true;
    return false;
}

ordo_model::Seen Worker::seen_now(const Ticket &t) {
    return seen_at_release(t, blocked_by_own(t));
}

// A handle destroyed a while ago is refused, also once its memory serves a
// ticket of this thread or another's; and nothing of that ticket changes
// (if it did, its owner's next release would be refused, a violation).
void Worker::stale_handle() {
    if (stale_.empty())
        return;
    ordo_ticket stale = stale_[roll(stale_.size())];
    CHECK_STATUS(ordo_ticket_ready(stale, nullptr, 0), check_status_ == ORDO_ERROR_INVALID_HANDLE);
    CHECK_STATUS(ordo_ticket_wait(stale, ordo_now(), nullptr, nullptr),
                 check_status_ == ORDO_ERROR_INVALID_HANDLE);
    CHECK_STATUS(ordo_ticket_destroy(stale), check_status_ == ORDO_ERROR_INVALID_HANDLE);
    g_count.stale_refused.fetch_add(3, std::memory_order_relaxed);
}

} // namespace ordo_stress
