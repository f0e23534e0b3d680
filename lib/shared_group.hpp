// SharedGroup: the shared tickets between two exclusive ones, granted
// together (each gets the group's grant, pred) and released together: the
// group's own future completes once it is closed (an exclusive ticket came
// after it, or it is full) and every member has handed its release on, with
// the union of the members' events, or the first failure one handed on.
//
// Reference counting: the group starts with kBias + 1 references; the join
// count kept beside the pointer in the resource's tail word counts the
// members' references, which are moved into the group's own count (minus
// kBias) when the group leaves the tail. Members may drop theirs before that
// without reaching zero.
#pragma once

#include "futex.hpp"
#include "future.hpp"
#include "thread_annotations.hpp"

namespace ordo::detail {

class SharedGroup final : public Future {
public:
    static constexpr uint32_t kBias = 1u << 30;

    SharedGroup() noexcept : Future(kBias + 1) {}
    // Frees a group that was never published.
    static void discard(SharedGroup *unused) noexcept;

    // Set before the group is published; owned (one reference) from then on.
    Future *pred = nullptr;

    // A member handed its release on.
    void member_done(Outcome outcome) noexcept;
    // No member can join any more; joins members joined in all.
    void close(uint32_t joins) noexcept;
    // The group left the tail with this many joins: move their references.
    void settle_joins(uint32_t joins) noexcept {
        refs_.fetch_add(joins - kBias, std::memory_order_relaxed);
    }
    bool cancel() noexcept override { return false; }

private:
    ~SharedGroup() override;
    void check(uint64_t counts) noexcept;

    static constexpr uint64_t kClosed = uint64_t{1} << 63;
    static constexpr int kExpectedShift = 32;

    // [63] closed, [62..32] members expected, [31..0] members released.
    std::atomic<uint64_t> counts_{0};
    SmallMutex merging_;
    EventList accumulated_ ORDO_GUARDED_BY(merging_);
    Ref<Failure> failed_ ORDO_GUARDED_BY(merging_);
};

} // namespace ordo::detail
