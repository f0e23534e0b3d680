// The C boundary: handle validation, the exception barrier, the per-thread
// error message. capi/ only checks arguments, calls the core and translates.
#pragma once

#include "../lib/completion_queue.hpp"
#include "../lib/device_wait.hpp"
#include "../lib/error.hpp"
#include "../lib/future.hpp"
#include "../lib/holder_wait.hpp"
#include "../lib/job_queue.hpp"
#include "../lib/multi_ticket.hpp"
#include "../lib/pool.hpp"
#include "../lib/resource.hpp"
#include "../lib/ring.hpp"

#include <ordo/ordo.h>

#include <new>
#include <string>
#include <vector>

namespace ordo::capi {

using namespace ordo::detail;

// Handle shells. A ticket handle is the ticket itself (one per ticket, the
// hot path allocates once); the others are small shells holding a reference.
struct ResourceHandle {
    Ref<Resource> resource;
};
struct FutureHandle {
    Ref<Future> future;
};
struct PromiseHandle {
    Ref<Future> future;
};
struct JobQueueHandle {
    Ref<JobQueue> queue;
};
struct CompletionQueueHandle {
    Ref<CompletionQueue> queue;
};

// The handle kinds: X(object type, C handle struct, C name, kind number).
// Kind numbers are part of each handle's value and are never reused.
#define ORDO_HANDLE_KINDS(X)                                                                       \
    X(ResourceHandle, ordo_resource_s, "ordo_resource", 1)                                         \
    X(Ticket, ordo_ticket_s, "ordo_ticket", 2)                                                     \
    X(FutureHandle, ordo_future_s, "ordo_future", 3)                                               \
    X(PromiseHandle, ordo_promise_s, "ordo_promise", 4)                                            \
    X(JobQueueHandle, ordo_job_queue_s, "ordo_job_queue", 5)                                       \
    X(MultiTicket, ordo_multi_ticket_s, "ordo_multi_ticket", 6)                                    \
    X(Ring, ordo_ring_s, "ordo_ring", 7)                                                           \
    X(CompletionQueueHandle, ordo_completion_queue_s, "ordo_completion_queue", 8)

template <class T>
struct Kind;
#define ORDO_KIND_(type, handle, c_name, number)                                                   \
    template <>                                                                                    \
    struct Kind<type> {                                                                            \
        static constexpr uint32_t id = number;                                                     \
        static constexpr const char *name = c_name;                                                \
    };
ORDO_HANDLE_KINDS(ORDO_KIND_)
#undef ORDO_KIND_

// The C name of kind number id, or nullptr.
inline const char *kind_name(uint32_t id) noexcept {
    switch (id) {
#define ORDO_KIND_NAME_(type, handle, c_name, number)                                              \
    case number:                                                                                   \
        return c_name;
        ORDO_HANDLE_KINDS(ORDO_KIND_NAME_)
#undef ORDO_KIND_NAME_
    default:
        return nullptr;
    }
}

// A handle's value: [63..32] the slot's generation when the handle was made
// (odd), [31..28] the kind, [27..0] the slot's index (lib/pool.hpp). NULL is
// never a handle (generation 0).
namespace handle_bits {
inline constexpr int kKindShift = Pool<Ticket>::kIndexBits;
inline constexpr uint64_t kIndexMask = (uint64_t{1} << kKindShift) - 1;
inline constexpr int kGenerationShift = 32;
static_assert(sizeof(void *) == sizeof(uint64_t), "handles are 64-bit values");
} // namespace handle_bits

// A C enum may hold any int: the value is checked.
inline Mode mode_of(ordo_mode mode) {
    switch (static_cast<int>(mode)) {
    case ORDO_EXCLUSIVE:
        return Mode::kExclusive;
    case ORDO_SHARED:
        return Mode::kShared;
    default:
        throw Error(ORDO_ERROR_INVALID_ARGUMENT, "mode " + std::to_string(static_cast<int>(mode)) +
                                                     " is neither ORDO_EXCLUSIVE nor ORDO_SHARED");
    }
}

// Stores the message for ordo_last_error_message() and returns status.
int set_last_error(int status, const char *message) noexcept;
inline int set_last_error(int status, const std::string &message) noexcept {
    return set_last_error(status, message.c_str());
}

// Throws INVALID_HANDLE naming what is wrong with a handle of kind T that
// live_slot refused. Out of line: the hot path only compares.
template <class T, class H>
[[noreturn]] [[gnu::noinline, gnu::cold]] void bad_handle(H *handle, const char *argument) {
    using namespace handle_bits;
    auto value = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(handle));
    if (value == 0)
        throw Error(ORDO_ERROR_INVALID_HANDLE, std::string(argument) + " is NULL");
    auto kind = static_cast<uint32_t>((value >> kKindShift) & 0xf);
    auto generation = static_cast<uint32_t>(value >> kGenerationShift);
    typename Pool<T>::Slot *slot = nullptr;
    if (kind == Kind<T>::id && (generation & 1) != 0)
        slot = Pool<T>::slot_at(static_cast<uint32_t>(value & kIndexMask));
    if (slot == nullptr) {
        const char *other = kind_name(kind);
        if (other != nullptr && kind != Kind<T>::id)
            throw Error(ORDO_ERROR_INVALID_HANDLE, std::string(argument) + " is an " + other +
                                                       " handle, not an " + Kind<T>::name);
        throw Error(ORDO_ERROR_INVALID_HANDLE,
                    std::string(argument) + " is not an " + Kind<T>::name + " handle");
    }
    throw Error(ORDO_ERROR_INVALID_HANDLE,
                std::string(argument) + " is an " + Kind<T>::name + " handle already destroyed");
}

// The slot behind a handle of kind T whose generation is still the
// handle's, or throws INVALID_HANDLE naming what is wrong. (A handle must not
// be used by another thread while it is destroyed: ordo.h.)
template <class T, class H>
inline typename Pool<T>::Slot &live_slot(H *handle, const char *argument) {
    using namespace handle_bits;
    auto value = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(handle));
    auto kind = static_cast<uint32_t>((value >> kKindShift) & 0xf);
    auto generation = static_cast<uint32_t>(value >> kGenerationShift);
    // NULL has kind 0 and generation 0: refused by the first test.
    if (kind == Kind<T>::id && (generation & 1) != 0) [[likely]] {
        typename Pool<T>::Slot *slot = Pool<T>::slot_at(static_cast<uint32_t>(value & kIndexMask));
        if (slot != nullptr && slot->generation.load(std::memory_order_acquire) == generation)
            [[likely]]
            return *slot;
    }
    bad_handle<T>(handle, argument);
}

// The object behind a live handle of kind T, or throws INVALID_HANDLE.
template <class T, class H>
T &lookup(H *handle, const char *argument) {
    return *Pool<T>::object_of(&live_slot<T>(handle, argument));
}

// Publishes a new handle for object (already in its pool slot, never
// published before).
template <class T, class H>
H *publish(T *object) noexcept {
    using namespace handle_bits;
    auto *slot = Pool<T>::slot_of(object);
    uint32_t generation = slot->generation.load(std::memory_order_relaxed) + 1; // odd
    slot->generation.store(generation, std::memory_order_release);
    uint64_t value = (uint64_t{generation} << kGenerationShift) |
                     (uint64_t{Kind<T>::id} << kKindShift) | slot->index;
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a handle is a value, never dereferenced
    return reinterpret_cast<H *>(static_cast<uintptr_t>(value));
}

// Marks a handle dead (once) and returns its object; NULL gives nullptr.
template <class T, class H>
T *retire(H *handle, const char *argument) {
    if (handle == nullptr)
        return nullptr;
    typename Pool<T>::Slot &slot = live_slot<T>(handle, argument);
    // No compare-exchange: a handle must not be used by another thread while
    // it is destroyed (ordo.h), so a load and a store suffice.
    slot.generation.store(slot.generation.load(std::memory_order_relaxed) + 1,
                          std::memory_order_release); // even: no live handle
    return Pool<T>::object_of(&slot);
}

// An ordo_*_destroy: retires the handle (NULL accepted) and frees its slot.
template <class T, class H>
int destroy_handle(H *handle, const char *argument) {
    if (T *object = retire<T>(handle, argument))
        Pool<T>::destroy(object);
    return ORDO_OK;
}

[[noreturn]] [[gnu::noinline, gnu::cold]] void null_argument(const char *argument);
[[noreturn]] [[gnu::noinline, gnu::cold]] void null_events(size_t num_events);

template <class T>
inline void require(T *pointer, const char *argument) {
    if (pointer == nullptr) [[unlikely]]
        null_argument(argument);
}

inline void require_events(const cl_event *events, size_t num_events) {
    if (num_events != 0 && events == nullptr) [[unlikely]]
        null_events(num_events);
}

// The resources behind resources[0..n), n >= 1 (ordo_resource_acquire_many,
// ordo_ring_create); `empty` says why n == 0 is refused. With out_modes, each
// resource's mode (modes[i], exclusive if modes is NULL) is checked right
// after its handle and appended there.
std::vector<Ref<Resource>> resources_of(const ordo_resource *resources, size_t n, const char *empty,
                                        const ordo_mode *modes = nullptr,
                                        std::vector<Mode> *out_modes = nullptr);

// A failure's status: negative, and not one of the statuses by which a wait
// answers about the call itself (a successor could not tell them apart).
inline void require_failure_status(int status) {
    if (status >= 0)
        throw Error(ORDO_ERROR_INVALID_ARGUMENT,
                    "a failure status must be negative, got " + std::to_string(status));
    switch (status) {
    case ORDO_ERROR_INVALID_ARGUMENT:
    case ORDO_ERROR_INVALID_HANDLE:
    case ORDO_ERROR_INVALID_STATE:
    case ORDO_ERROR_TIMEOUT:
    case ORDO_ERROR_WOULD_BLOCK:
        throw Error(ORDO_ERROR_INVALID_ARGUMENT,
                    std::string(ordo_status_string(status)) +
                        " is not a failure status: a wait answers it about the call itself");
    default:
        return;
    }
}

// What a fail call releases with: the status checked, NULL read as "failed".
inline Ref<Failure> failure_of(int status, const char *message) {
    require_failure_status(status);
    return Failure::make(status, message != nullptr ? message : "failed");
}

// A failure outcome reported through a status: its message becomes the
// thread's last error.
inline int report(int status, const Failure *failure) noexcept {
    if (status == ORDO_OK)
        return status;
    if (failure != nullptr)
        return set_last_error(status, failure->message().c_str());
    if (status == ORDO_ERROR_TIMEOUT)
        return set_last_error(status, "the deadline passed before the wait ended");
    return set_last_error(status, "failed");
}

// Copies a wait's events to the caller's out parameters, or reports its failure.
inline int report_wait(const WaitResult &result, const cl_event **events, size_t *num_events) {
    if (result.status == ORDO_OK) {
        if (events != nullptr)
            *events = result.events->empty() ? nullptr : result.events->data();
        if (num_events != nullptr)
            *num_events = result.events->size();
    }
    return report(result.status, result.failure.get());
}

// The exception barrier around every C entry point.
template <class F>
int guarded(F &&body) noexcept {
    try {
        return body();
    } catch (const Error &e) {
        return set_last_error(e.status(), e.message());
    } catch (const std::bad_alloc &) {
        return set_last_error(ORDO_ERROR_OUT_OF_MEMORY, "out of memory");
    } catch (const std::exception &e) {
        return set_last_error(ORDO_ERROR_INTERNAL, e.what());
    } catch (...) {
        return set_last_error(ORDO_ERROR_INTERNAL, "unknown exception");
    }
}

// An entry point that answers through one out parameter: looks the handle
// up (so that a bad handle is reported first, as everywhere), checks out,
// then stores what produce(object) gives. produce runs only once every
// argument is known good, so a refused call changes nothing.
template <class T, class H, class Out, class F>
int answer(H *handle, const char *argument, Out *out, const char *out_argument,
           F &&produce) noexcept {
    return guarded([&] {
        T &object = lookup<T>(handle, argument);
        require(out, out_argument);
        *out = produce(object);
        return ORDO_OK;
    });
}

} // namespace ordo::capi
