// Test support for the tests of the core's internals (tests/core): OpenCL
// only, no C ABI. One context on the first device of the first platform (the
// one the test setup shows the ICD loader), user events, and an event's
// reference count.
#pragma once

#include <CL/cl.h>

#include <gtest/gtest.h>

#include <vector>

namespace ordo_core_test {

inline cl_context context() {
    static cl_context made = [] {
        cl_platform_id platform = nullptr;
        cl_device_id device = nullptr;
        EXPECT_EQ(clGetPlatformIDs(1, &platform, nullptr), CL_SUCCESS);
        EXPECT_EQ(clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 1, &device, nullptr), CL_SUCCESS);
        cl_int err = CL_SUCCESS;
        cl_context c = clCreateContext(nullptr, 1, &device, nullptr, nullptr, &err);
        EXPECT_EQ(err, CL_SUCCESS);
        return c;
    }();
    return made;
}

// A new user event (reference count 1).
inline cl_event user_event() {
    cl_int err = CL_SUCCESS;
    cl_event e = clCreateUserEvent(context(), &err);
    EXPECT_EQ(err, CL_SUCCESS);
    return e;
}

inline cl_uint reference_count(cl_event e) {
    cl_uint count = 0;
    EXPECT_EQ(clGetEventInfo(e, CL_EVENT_REFERENCE_COUNT, sizeof count, &count, nullptr),
              CL_SUCCESS);
    return count;
}

// User events that each hold two references, the creator's and a guard, so
// that a reference dropped once too often shows in the count instead of
// freeing the event: kBase is the count while nothing else holds them. At
// the end each is completed and both references are dropped.
class UserEvents {
public:
    static constexpr cl_uint kBase = 2;
    explicit UserEvents(size_t n) : events_(n) {
        for (auto &e : events_) {
            e = user_event();
            clRetainEvent(e);
        }
    }
    ~UserEvents() {
        for (auto e : events_) {
            clSetUserEventStatus(e, CL_COMPLETE);
            clReleaseEvent(e);
            clReleaseEvent(e);
        }
    }
    UserEvents(const UserEvents &) = delete;
    UserEvents &operator=(const UserEvents &) = delete;

    cl_event operator[](size_t i) const { return events_[i]; }
    const cl_event *data() const { return events_.data(); }
    size_t size() const { return events_.size(); }
    // Each event's count above kBase: the references that others hold.
    std::vector<cl_uint> held() const {
        std::vector<cl_uint> out;
        for (auto e : events_)
            out.push_back(reference_count(e) - kBase);
        return out;
    }

private:
    std::vector<cl_event> events_;
};

} // namespace ordo_core_test
