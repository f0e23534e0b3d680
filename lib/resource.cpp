#include "resource.hpp"

#include "shared_group.hpp"

#include "diagnostics.hpp"
#include "error.hpp"
#include "fast_counts.hpp"
#include "trace.hpp"

#include "pool.hpp"
#include <algorithm>
#include <cassert>

namespace ordo::detail {

Resource::Resource(void *value, std::string name) : value_(value), name_(std::move(name)) {
    Ref<Future> first = Future::make_done();
    check_packable(first.get());
    register_resource(this);
    tail_.store(idle_word(first.detach()), std::memory_order_relaxed);
}

void Resource::destroy() noexcept {
    uint64_t word = tail_.load(std::memory_order_acquire);
    while (is_fast(word))
        if (tail_.compare_exchange_weak(word, word | kOrphanBit, std::memory_order_acq_rel,
                                        std::memory_order_acquire))
            return; // the fast ticket deletes this (Ticket::release_fast, leave_fast)
    delete this;
}

Resource::~Resource() {
    unregister_resource(this);
    uint64_t word = tail_.load(std::memory_order_acquire);
    assert(!is_fast(word));
    Future *last = pointer_of(word);
    if (is_group(word))
        static_cast<SharedGroup *>(last)->settle_joins(joins_of(word));
    last->release();
}

Ref<Resource> Resource::create(void *value, std::string name) {
    maybe_fail_allocation();
    return Ref<Resource>::adopt(new Resource(value, std::move(name)));
}

void Resource::not_packable() {
    throw Error(ORDO_ERROR_INTERNAL, "allocation outside the 48-bit address range");
}

Ref<Ticket> Resource::acquire_slow(Mode mode) {
    Ref<Ticket> ticket =
        mode == Mode::kShared
            ? acquire_shared()
            : acquire_exclusive(Ref<Ticket>::adopt(Pool<Ticket>::create(*this, Mode::kExclusive)));
    if (diagnostics_enabled()) [[unlikely]]
        register_ticket(*ticket);
    if (tracing()) [[unlikely]]
        trace(TraceKind::kAcquire, *ticket, &name_);
    return ticket;
}

// Takes a variable set of locks (in address order, so two calls never wait
// for each other in a cycle): beyond what -Wthread-safety can follow.
std::vector<Ref<Ticket>>
Resource::acquire_all(const std::vector<Resource *> &resources,
                      const std::vector<Mode> &modes) ORDO_NO_THREAD_SAFETY_ANALYSIS {
    std::vector<Resource *> order(resources);
    std::sort(order.begin(), order.end());
    if (std::adjacent_find(order.begin(), order.end()) != order.end())
        throw Error(ORDO_ERROR_INVALID_ARGUMENT, "the same resource appears twice");
    std::vector<Ref<Ticket>> tickets;
    tickets.reserve(resources.size());
    for (Resource *r : order)
        r->multi_mutex_.lock();
    try {
        for (size_t i = 0; i < resources.size(); ++i)
            tickets.push_back(resources[i]->acquire(modes[i]));
    } catch (...) {
        for (Resource *r : order)
            r->multi_mutex_.unlock();
        // Places already taken are given up: their successors are granted as
        // if they had never been taken.
        for (auto &t : tickets) {
            t->cancel();
            t->drop_holder(false);
        }
        throw;
    }
    for (Resource *r : order)
        r->multi_mutex_.unlock();
    return tickets;
}

Ref<Ticket> Resource::acquire_fast(uint64_t idle) {
    auto ticket = Ref<Ticket>::adopt(Pool<Ticket>::create(*this, value_, Ticket::FastGrant{}));
    check_packable(&ticket->release_future());
    if (tail_.compare_exchange_strong(idle, fast_word(*ticket), std::memory_order_acq_rel,
                                      std::memory_order_relaxed)) {
        ticket->grant_ = Ref<Future>::adopt(pointer_of(idle)); // the tail's reference moves here
        ORDO_COUNT_FAST(kAcquired);
        return ticket;
    }
    ORDO_COUNT_FAST(kLostRace);
    // Another acquire came first: a plain ticket after all (not published yet).
    ticket->make_plain();
    return acquire_exclusive(std::move(ticket));
}

void Resource::made_idle(uint64_t word) noexcept {
    if (tail_.compare_exchange_strong(word, word | kIdleBit, std::memory_order_release,
                                      std::memory_order_relaxed))
        ORDO_COUNT_FAST(kIdleAgain);
}

Ref<Ticket> Resource::acquire_exclusive(Ref<Ticket> ticket) {
    Future *release = &ticket->release_future();
    check_packable(release);
    ticket->retain(); // the tail's reference (to the ticket's release future)
    uint64_t old = tail_.exchange(pack(release, false, 0), std::memory_order_acq_rel);
    Future *previous = pointer_of(old);
    if (is_group(old)) {
        auto *group = static_cast<SharedGroup *>(previous);
        group->settle_joins(joins_of(old));
        group->close(joins_of(old));
    } else if (is_fast(old)) {
        retain(); // the fast ticket's reference to this resource (ticket.hpp)
        Ticket::replaced_fast(*previous);
    }
    ticket->grant_ = Ref<Future>::adopt(previous); // the tail's reference moves here
    return ticket;
}

Ref<Ticket> Resource::acquire_shared() {
    auto ticket = Ref<Ticket>::adopt(Pool<Ticket>::create(*this, Mode::kShared));
    SharedGroup *fresh = nullptr;
    uint64_t old = tail_.load(std::memory_order_acquire);
    for (;;) {
        if (is_group(old) && joins_of(old) < kMaxJoins) {
            // Join the open group: its members are granted together.
            if (!tail_.compare_exchange_weak(old, old + kJoinOne, std::memory_order_acq_rel,
                                             std::memory_order_acquire))
                continue;
            auto *group = static_cast<SharedGroup *>(pointer_of(old));
            ticket->group_ = group; // the join counted in the tail word
            ticket->grant_ = Ref<Future>(group->pred);
            if (fresh != nullptr)
                SharedGroup::discard(fresh);
            return ticket;
        }
        // Start a group after the tail (an exclusive ticket, or a full group).
        if (fresh == nullptr) {
            maybe_fail_allocation();
            fresh = new SharedGroup;
            try {
                check_packable(fresh);
            } catch (...) {
                SharedGroup::discard(fresh);
                throw;
            }
        }
        fresh->pred = pointer_of(old);
        if (!tail_.compare_exchange_weak(old, pack(fresh, true, 1), std::memory_order_acq_rel,
                                         std::memory_order_acquire))
            continue;
        // The tail's reference to the old tail now belongs to fresh->pred.
        if (is_fast(old)) {
            retain(); // the fast ticket's reference to this resource (ticket.hpp)
            Ticket::replaced_fast(*fresh->pred);
        }
        if (is_group(old)) {
            auto *full = static_cast<SharedGroup *>(pointer_of(old));
            full->settle_joins(joins_of(old));
            full->close(joins_of(old));
        }
        ticket->group_ = fresh;
        ticket->grant_ = Ref<Future>(fresh->pred);
        return ticket;
    }
}

} // namespace ordo::detail
