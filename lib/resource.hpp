// Resource: a user value and a FIFO of tickets.
//
// The queue is a single atomic word, the tail: a pointer to the future that
// the next ticket's grant will be (the last exclusive ticket's release, or
// the open shared group), with a tag bit for "open shared group" and, for a
// group, the count of members that joined it in the top 16 bits. An
// exclusive acquire is one exchange of the tail; a shared acquire is one
// compare-exchange that bumps the join count (or installs a new group).
// Acquire never waits for anyone, on any path.
//
// Two more tags serve the fast cycle (ticket.hpp). kIdleBit: the future is
// DONE with no events (the first future, and what a fast release puts
// back); an exclusive acquire that finds it compare-exchanges in a fast
// ticket's word, kFastBit, which holds no reference to that ticket's release
// and stands for the ticket's reference to the resource. A successor that
// replaces a fast word with its own counts both for the fast ticket
// (Ticket::replaced_fast); a release that replaces it counts what its own
// word needs (ticket.hpp). kOrphanBit,
// on a fast word only: the resource's last reference went while the fast
// ticket held it; the ticket deletes the resource (Resource::destroy).
#pragma once

#include "diagnostics.hpp"
#include "ref.hpp"
#include "ticket.hpp"

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace ordo::detail {

class Resource final : public RefCounted<Resource> {
public:
    static Ref<Resource> create(void *value, std::string name);

    // A new ticket; the returned reference is the holder's.
    Ref<Ticket> acquire(Mode mode = Mode::kExclusive) {
        if (mode == Mode::kExclusive && !diagnostics_enabled() && !tracing()) [[likely]] {
            uint64_t word = tail_.load(std::memory_order_relaxed);
            if ((word & kTagBits) == kIdleBit)
                return acquire_fast(word);
        }
        return acquire_slow(mode);
    }

    // Tickets on several resources at once, atomically with respect to other
    // acquire_all calls: two calls on overlapping resources never interleave
    // their places (each resource's multi-acquire lock is taken in address
    // order). A plain acquire running concurrently may land between them,
    // which cannot deadlock (it holds one resource). Throws
    // Error(ORDO_ERROR_INVALID_ARGUMENT) if a resource appears twice.
    static std::vector<Ref<Ticket>> acquire_all(const std::vector<Resource *> &resources,
                                                const std::vector<Mode> &modes);

    void *value() const noexcept { return value_; }

    // Fast cycle, for Ticket: one of t's releases replaces its fast word by
    // the idle word of its grant (idle) or by a plain word for t, which
    // holds a reference to t's release that t then adds. kStillTail: done;
    // kOrphan: done, and the resource is an orphan that t must delete
    // (delete_orphan); kReplaced: a successor or another release of t moved
    // the word first (a successor holds that reference and counted t's
    // reference to the resource: Ticket::replaced_fast).
    enum Replaced { kStillTail, kReplaced, kOrphan };
    Replaced replace_fast(Ticket &t, bool idle) noexcept {
        uint64_t fast = fast_word(t);
        uint64_t with = idle ? idle_word(t.grant_.get()) : pack(&t.release_future(), false, 0);
        uint64_t word = fast;
        if (tail_.compare_exchange_strong(word, with, std::memory_order_acq_rel,
                                          std::memory_order_acquire)) [[likely]]
            return kStillTail;
        // An orphan's tail: only t's releases reach it, and one of them wins.
        if (word == (fast | kOrphanBit) &&
            tail_.compare_exchange_strong(word, with, std::memory_order_acq_rel,
                                          std::memory_order_acquire))
            return kOrphan;
        return kReplaced;
    }
    static void delete_orphan(Resource *r) noexcept { delete r; }
    // The plain ticket whose release is released hands on nothing: if its
    // word is the tail, it becomes idle. Called before release completes,
    // with the outcome fixed (an acquire that sees the idle word early
    // finds the grant complete, or waits the moment until it is).
    void mark_idle(Future &release) noexcept {
        uint64_t word = pack(&release, false, 0);
        if (tail_.load(std::memory_order_relaxed) == word)
            made_idle(word);
    }
    const std::string &name() const noexcept { return name_; }

private:
    friend class RefCounted<Resource>;
    Resource(void *value, std::string name);
    ~Resource();

    // The last reference is gone (RefCounted): deletes this, or leaves it to
    // a fast ticket that holds it (kOrphanBit).
    void destroy() noexcept;

    static constexpr uint64_t kGroupBit = 1, kIdleBit = 2, kFastBit = 4, kTagBits = 7;
    static constexpr int kJoinShift = 48;
    static constexpr uint64_t kJoinOne = uint64_t{1} << kJoinShift;
    static constexpr uint64_t kOrphanBit = kJoinOne; // fast words carry no join count
    static constexpr uint64_t kPointerMask = kJoinOne - 1 - kTagBits;
    static constexpr uint32_t kMaxJoins = 0xffff;

    static uint64_t pack(Future *f, bool group, uint32_t joins) noexcept {
        return reinterpret_cast<uintptr_t>(f) | (group ? kGroupBit : 0) |
               (uint64_t{joins} << kJoinShift);
    }
    static Future *pointer_of(uint64_t word) noexcept {
        // NOLINTNEXTLINE(performance-no-int-to-ptr): a tagged pointer, untagged
        return reinterpret_cast<Future *>(static_cast<uintptr_t>(word & kPointerMask));
    }
    static bool is_group(uint64_t word) noexcept { return word & kGroupBit; }
    static bool is_fast(uint64_t word) noexcept { return word & kFastBit; }
    static uint64_t idle_word(Future *done) noexcept { return pack(done, false, 0) | kIdleBit; }
    static uint64_t fast_word(Ticket &t) noexcept {
        return pack(&t.release_future(), false, 0) | kFastBit;
    }
    static uint32_t joins_of(uint64_t word) noexcept {
        return static_cast<uint32_t>(word >> kJoinShift);
    }
    // The tail word keeps a join count in the top bits of the pointer.
    static void check_packable(const void *p) {
        if ((reinterpret_cast<uintptr_t>(p) & ~kPointerMask) != 0) [[unlikely]]
            not_packable();
    }
    [[noreturn]] [[gnu::noinline, gnu::cold]] static void not_packable();

    Ref<Ticket> acquire_fast(uint64_t idle);
    Ref<Ticket> acquire_slow(Mode mode);
    void made_idle(uint64_t word) noexcept;
    Ref<Ticket> acquire_exclusive(Ref<Ticket> ticket);
    Ref<Ticket> acquire_shared();

    SmallMutex multi_mutex_;     // serialises acquire_all calls that include this
    std::atomic<uint64_t> tail_; // owns one reference to the future it points at
    void *const value_;
    const std::string name_;
};

} // namespace ordo::detail
