// Resource: a user value and a FIFO of tickets.
//
// The queue is a single atomic word, the tail: a pointer to the future that
// the next ticket's grant will be (the last exclusive ticket's release, or
// the open shared group), with a tag bit for "open shared group" and, for a
// group, the count of members that joined it in the top 16 bits. An
// exclusive acquire is one exchange of the tail; a shared acquire is one
// compare-exchange that bumps the join count (or installs a new group).
// Acquire never waits for anyone, on any path.
#pragma once

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
    Ref<Ticket> acquire(Mode mode = Mode::kExclusive);

    // Tickets on several resources at once, atomically with respect to other
    // acquire_all calls: two calls on overlapping resources never interleave
    // their places (each resource's multi-acquire lock is taken in address
    // order). A plain acquire running concurrently may land between them,
    // which cannot deadlock (it holds one resource). Throws
    // Error(ORDO_ERROR_INVALID_ARGUMENT) if a resource appears twice.
    static std::vector<Ref<Ticket>> acquire_all(const std::vector<Resource *> &resources,
                                                const std::vector<Mode> &modes);

    void *value() const noexcept { return value_; }
    const std::string &name() const noexcept { return name_; }

private:
    friend class RefCounted<Resource>;
    Resource(void *value, std::string name);
    ~Resource();

    static constexpr uint64_t kGroupBit = 1;
    static constexpr int kJoinShift = 48;
    static constexpr uint64_t kJoinOne = uint64_t{1} << kJoinShift;
    static constexpr uint64_t kPointerMask = kJoinOne - 1 - kGroupBit;
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
    static uint32_t joins_of(uint64_t word) noexcept {
        return static_cast<uint32_t>(word >> kJoinShift);
    }
    static void check_packable(const void *p);

    Ref<Ticket> acquire_exclusive();
    Ref<Ticket> acquire_shared();

    SmallMutex multi_mutex_;     // serialises acquire_all calls that include this
    std::atomic<uint64_t> tail_; // owns one reference to the future it points at
    void *const value_;
    const std::string name_;
};

} // namespace ordo::detail
