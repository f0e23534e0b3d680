// Ring: N interchangeable resources handed out in turn (N-buffering): the
// k-th acquire takes a ticket on resource k mod N, in order.
#pragma once

#include "futex.hpp"
#include "resource.hpp"

#include <vector>

namespace ordo::detail {

class Ring {
public:
    explicit Ring(std::vector<Ref<Resource>> resources);

    // The next resource's ticket and its index. The counter and the acquire
    // are one step under a short lock, so two threads calling concurrently
    // can never get the same slot's tickets out of turn.
    Ref<Ticket> acquire(Mode mode, size_t *index);
    size_t size() const noexcept { return resources_.size(); }
    Resource &resource(size_t i) const;

private:
    const std::vector<Ref<Resource>> resources_;
    SmallMutex mutex_;
    uint64_t next_ ORDO_GUARDED_BY(mutex_) = 0;
};

} // namespace ordo::detail
