// The C boundary: handle validation, the exception barrier, the per-thread
// error message. capi/ only checks arguments, calls the core and translates.
#pragma once

#include "../lib/device_wait.hpp"
#include "../lib/error.hpp"
#include "../lib/future.hpp"
#include "../lib/job_queue.hpp"
#include "../lib/multi_ticket.hpp"
#include "../lib/pool.hpp"
#include "../lib/resource.hpp"
#include "../lib/ring.hpp"

#include <ordo/ordo.h>

#include <new>
#include <string>

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

// Tags of live handles, one per kind (dead slots carry kDeadTag).
inline constexpr uint32_t kResourceTag = 0x4f524553; // "ORES"
inline constexpr uint32_t kTicketTag = 0x4f54434b;   // "OTCK"
inline constexpr uint32_t kFutureTag = 0x4f465554;   // "OFUT"
inline constexpr uint32_t kPromiseTag = 0x4f50524d;  // "OPRM"
inline constexpr uint32_t kJobQueueTag = 0x4f4a4f42; // "OJOB"
inline constexpr uint32_t kMultiTag = 0x4f4d4c54;    // "OMLT"
inline constexpr uint32_t kRingTag = 0x4f52494e;     // "ORIN"

template <class T>
struct Kind;
template <>
struct Kind<ResourceHandle> {
    static constexpr uint32_t tag = kResourceTag;
    static constexpr const char *name = "ordo_resource";
};
template <>
struct Kind<Ticket> {
    static constexpr uint32_t tag = kTicketTag;
    static constexpr const char *name = "ordo_ticket";
};
template <>
struct Kind<FutureHandle> {
    static constexpr uint32_t tag = kFutureTag;
    static constexpr const char *name = "ordo_future";
};
template <>
struct Kind<PromiseHandle> {
    static constexpr uint32_t tag = kPromiseTag;
    static constexpr const char *name = "ordo_promise";
};

template <>
struct Kind<JobQueueHandle> {
    static constexpr uint32_t tag = kJobQueueTag;
    static constexpr const char *name = "ordo_job_queue";
};

template <>
struct Kind<MultiTicket> {
    static constexpr uint32_t tag = kMultiTag;
    static constexpr const char *name = "ordo_multi_ticket";
};
template <>
struct Kind<Ring> {
    static constexpr uint32_t tag = kRingTag;
    static constexpr const char *name = "ordo_ring";
};

inline Mode mode_of(int mode) {
    if (mode == ORDO_EXCLUSIVE)
        return Mode::kExclusive;
    if (mode == ORDO_SHARED)
        return Mode::kShared;
    throw Error(ORDO_ERROR_INVALID_ARGUMENT,
                "mode " + std::to_string(mode) + " is neither ORDO_EXCLUSIVE nor ORDO_SHARED");
}

// Stores the message for ordo_last_error_message() and returns status.
int set_last_error(int status, const char *message) noexcept;
inline int set_last_error(int status, const std::string &message) noexcept {
    return set_last_error(status, message.c_str());
}

// The object behind a live handle of kind T, or throws INVALID_HANDLE.
template <class T, class H>
T &lookup(H *handle, const char *argument) {
    if (handle == nullptr)
        throw Error(ORDO_ERROR_INVALID_HANDLE, std::string(argument) + " is NULL");
    auto *slot = reinterpret_cast<typename Pool<T>::Slot *>(handle);
    if (slot->tag.load(std::memory_order_acquire) != Kind<T>::tag)
        throw Error(ORDO_ERROR_INVALID_HANDLE, std::string(argument) + " is not a live " +
                                                   Kind<T>::name +
                                                   " (destroyed, or a handle of another kind)");
    return *Pool<T>::object_of(slot);
}

// Publishes a new handle for object (already in its pool slot).
template <class T, class H>
H *publish(T *object) noexcept {
    auto *slot = Pool<T>::slot_of(object);
    slot->tag.store(Kind<T>::tag, std::memory_order_release);
    return reinterpret_cast<H *>(slot);
}

// Marks a handle dead (once) and returns its object; NULL gives nullptr.
template <class T, class H>
T *retire(H *handle, const char *argument) {
    if (handle == nullptr)
        return nullptr;
    auto *slot = reinterpret_cast<typename Pool<T>::Slot *>(handle);
    // No compare-exchange: a handle must not be used by another thread while
    // it is destroyed (ordo.h), so a load and a store suffice.
    if (slot->tag.load(std::memory_order_acquire) != Kind<T>::tag)
        throw Error(ORDO_ERROR_INVALID_HANDLE,
                    std::string(argument) + " is not a live " + Kind<T>::name +
                        " (destroyed twice, or a handle of another kind)");
    slot->tag.store(kDeadTag, std::memory_order_release);
    return Pool<T>::object_of(slot);
}

template <class T>
void require(T *pointer, const char *argument) {
    if (pointer == nullptr)
        throw Error(ORDO_ERROR_INVALID_ARGUMENT, std::string(argument) + " is NULL");
}

inline void require_events(const cl_event *events, size_t num_events) {
    if (num_events != 0 && events == nullptr)
        throw Error(ORDO_ERROR_INVALID_ARGUMENT,
                    "events is NULL but num_events is " + std::to_string(num_events));
}

inline void require_failure_status(int status) {
    if (status >= 0)
        throw Error(ORDO_ERROR_INVALID_ARGUMENT,
                    "a failure status must be negative, got " + std::to_string(status));
}

// A failure outcome reported through a status: its message becomes the
// thread's last error.
inline int report(int status, const Failure *failure) noexcept {
    if (status == ORDO_OK)
        return status;
    if (status == ORDO_ERROR_TIMEOUT)
        return set_last_error(status, "the deadline passed before the wait ended");
    return set_last_error(status, failure != nullptr ? failure->message().c_str() : "failed");
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

} // namespace ordo::capi
