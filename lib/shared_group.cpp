#include "shared_group.hpp"

#include <cassert>

namespace ordo::detail {

SharedGroup::~SharedGroup() {
    if (pred != nullptr)
        pred->release();
}

void SharedGroup::discard(SharedGroup *unused) noexcept {
    unused->pred = nullptr;
    delete unused;
}

void SharedGroup::member_done(Outcome outcome) noexcept {
    {
        Lock lock(merging_);
        if (!failed_) {
            if (outcome.failure) {
                failed_ = std::move(outcome.failure);
                accumulated_.clear();
            } else {
                try {
                    accumulated_.append(std::move(outcome.events));
                } catch (...) {
                    failed_ = Failure::out_of_memory();
                    accumulated_.clear();
                }
            }
        }
    }
    check(counts_.fetch_add(1, std::memory_order_acq_rel) + 1);
}

void SharedGroup::close(uint32_t joins) noexcept {
    uint64_t add = kClosed | (uint64_t{joins} << kExpectedShift);
    check(counts_.fetch_add(add, std::memory_order_acq_rel) + add);
}

void SharedGroup::check(uint64_t counts) noexcept {
    bool closed = counts & kClosed;
    uint64_t expected = (counts & ~kClosed) >> kExpectedShift;
    uint64_t released = counts & 0xffffffffu;
    assert(!closed || released <= expected);
    if (!closed || expected != released)
        return;
    // Counts only grow, so exactly one caller sees them meet.
    Outcome out;
    {
        Lock lock(merging_);
        out.events = std::move(accumulated_);
        out.failure = std::move(failed_);
    }
    finish(std::move(out));
}

} // namespace ordo::detail
