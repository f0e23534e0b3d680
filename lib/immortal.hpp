// Immortal<T>: one T built on first use in static storage and never
// destroyed, for what threads may still use during static destruction at
// exit (the service thread, a callback thread of the OpenCL runtime). It
// takes no heap memory, so reaching it cannot fail for lack of memory.
#pragma once

#include <new>
#include <utility>

namespace ordo::detail {

template <class T>
class Immortal {
public:
    template <class... Args>
    explicit Immortal(Args &&...args) {
        ::new (static_cast<void *>(storage_)) T(std::forward<Args>(args)...);
    }
    Immortal(const Immortal &) = delete;
    Immortal &operator=(const Immortal &) = delete;
    // No destructor: the T outlives every static destructor.

    T &get() noexcept { return *std::launder(reinterpret_cast<T *>(storage_)); }

private:
    alignas(T) unsigned char storage_[sizeof(T)];
};

} // namespace ordo::detail
