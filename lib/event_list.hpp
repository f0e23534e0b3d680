// EventList: the core's owner of cl_event references. Every event in a list
// holds one reference taken by the list (clRetainEvent) and dropped exactly
// once by it. A list destroyed inside an OpenCL callback (CallbackScope)
// hands its references to the service thread instead of releasing them there.
#pragma once

#include <ordo/ordo.h>

#include <cstddef>
#include <cstdint>
#include <utility>

namespace ordo::detail {

class EventList {
public:
    EventList() noexcept = default;
    ~EventList() {
        if (size_ != 0 || cap_ > 1) [[unlikely]]
            clear();
    }
    EventList(EventList &&other) noexcept
        : size_(std::exchange(other.size_, 0)), cap_(std::exchange(other.cap_, 1)) {
        one_ = std::exchange(other.one_, nullptr); // the union's whole pointer
    }
    EventList &operator=(EventList &&other) noexcept {
        if (this != &other) {
            if (size_ != 0 || cap_ > 1) [[unlikely]]
                clear();
            size_ = std::exchange(other.size_, 0);
            cap_ = std::exchange(other.cap_, 1);
            one_ = std::exchange(other.one_, nullptr);
        }
        return *this;
    }
    EventList(const EventList &) = delete;
    EventList &operator=(const EventList &) = delete;

    // Takes a reference to each of events[0..n). Throws Error
    // (ORDO_ERROR_INVALID_ARGUMENT) naming the bad entry, holding nothing,
    // if one is not a valid event.
    static EventList retain(const cl_event *events, size_t n);
    // A list that takes over the caller's reference to e.
    static EventList adopt(cl_event e) noexcept {
        EventList list;
        list.push_owned(e);
        return list;
    }
    // A second list with its own references to the same events.
    EventList copy() const;
    // Appends other's events not already here, taking references for them.
    void append_copy(const EventList &other);
    // Appends other's events not already here, taking over its references.
    void append(EventList &&other);

    const cl_event *data() const noexcept { return cap_ <= 1 ? &one_ : many_; }
    size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    bool contains(cl_event e) const noexcept;

    // Drops every reference (through the service thread when on a callback thread).
    void clear() noexcept;

private:
    cl_event *mutable_data() noexcept { return cap_ <= 1 ? &one_ : many_; }
    void reserve(size_t n);
    // Appends e, whose reference the list now owns. Capacity must suffice.
    void push_owned(cl_event e) noexcept { mutable_data()[size_++] = e; }

    union {
        cl_event one_ = nullptr; // cap_ <= 1: at most one event, stored inline
        cl_event *many_;         // cap_ > 1: heap array
    };
    uint32_t size_ = 0;
    uint32_t cap_ = 1;
};

// Drops references now, on this thread. Only for the service thread and for
// lists known not to be on a callback thread.
void release_events_now(const cl_event *events, size_t n) noexcept;

// Flushes the command queue of each event that has one (user events have
// none) and is still CL_QUEUED, once per queue, so that a successor never
// waits for a command that was never submitted. An event whose callback is
// running on this thread is complete, and is not queried.
void flush_queues_of(const EventList &events);

} // namespace ordo::detail
