#include "fast_counts.hpp"

namespace ordo::detail {

std::atomic<uint64_t> g_fast_counts[static_cast<unsigned>(FastCount::kCount)] = {};

bool read_fast_counts(ordo_fast_path_counts &out) noexcept {
#if ORDO_FAST_PATH_COUNTS
    auto get = [](FastCount c) {
        return g_fast_counts[static_cast<unsigned>(c)].load(std::memory_order_relaxed);
    };
    out.acquired = get(FastCount::kAcquired);
    out.put_back = get(FastCount::kPutBack);
    out.left = get(FastCount::kLeft);
    out.replaced = get(FastCount::kReplaced);
    out.orphans = get(FastCount::kOrphans);
    out.idle_again = get(FastCount::kIdleAgain);
    out.lost_races = get(FastCount::kLostRace);
    return true;
#else
    (void)out;
    return false;
#endif
}

} // namespace ordo::detail
