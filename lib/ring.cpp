#include "ring.hpp"

#include "error.hpp"

#include "thread_annotations.hpp"
#include <mutex>

namespace ordo::detail {

Ring::Ring(std::vector<Ref<Resource>> resources) : resources_(std::move(resources)) {
    if (resources_.empty())
        throw Error(ORDO_ERROR_INVALID_ARGUMENT, "a ring needs at least one resource");
}

Ref<Ticket> Ring::acquire(Mode mode, size_t *index) {
    Lock lock(mutex_);
    size_t i = static_cast<size_t>(next_ % resources_.size());
    Ref<Ticket> ticket = resources_[i]->acquire(mode);
    ++next_; // only once the acquire succeeded
    *index = i;
    return ticket;
}

Resource &Ring::resource(size_t i) const {
    if (i >= resources_.size())
        throw Error(ORDO_ERROR_INVALID_ARGUMENT,
                    "index " + std::to_string(i) + " is out of range (" +
                        std::to_string(resources_.size()) + " resources)");
    return *resources_[i];
}

} // namespace ordo::detail
