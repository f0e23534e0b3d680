#include "failure.hpp"

#include "error.hpp"
#include "immortal.hpp"

namespace ordo::detail {

Ref<Failure> Failure::make(int status, std::string message, cl_int cl_status) {
    maybe_fail_allocation();
    return Ref<Failure>::adopt(new Failure(status, std::move(message), cl_status));
}

Ref<Failure> Failure::out_of_memory() noexcept {
    // Reached when memory has run out, so it takes none: static storage, and
    // a message short enough for std::string's inline buffer. One reference
    // is never dropped.
    static Immortal<Failure> oom(ORDO_ERROR_OUT_OF_MEMORY, std::string("out of memory"), 0);
    return Ref<Failure>(&oom.get());
}

} // namespace ordo::detail
