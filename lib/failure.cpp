#include "failure.hpp"

#include "error.hpp"

namespace ordo::detail {

Ref<Failure> Failure::make(int status, std::string message, cl_int cl_status) {
    maybe_fail_allocation();
    return Ref<Failure>::adopt(new Failure(status, std::move(message), cl_status));
}

Ref<Failure> Failure::out_of_memory() noexcept {
    // Immortal: one reference is never dropped.
    static Failure *oom = new Failure(ORDO_ERROR_OUT_OF_MEMORY, "out of memory", 0);
    return Ref<Failure>(oom);
}

} // namespace ordo::detail
