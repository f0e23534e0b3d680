// Errors inside the core: one policy. Core functions throw Error (carrying a
// Failure) or std::bad_alloc for bad input and misuse before changing any
// state; the C layer turns them into a status and a per-thread message.
// Outcomes of waits (timeout, a failed predecessor) are not errors and are
// returned as status.
#pragma once

#include "failure.hpp"

#include <ordo/ordo.h>

#include <atomic>
#include <exception>
#include <string>

namespace ordo::detail {

// A refused call: its Failure, thrown to the C layer's barrier.
class Error : public std::exception {
public:
    // Allocates the failure without the test hook (an error must be
    // reported as itself); throws std::bad_alloc if memory is out.
    Error(int status, std::string message, cl_int cl_status = 0)
        : failure_(Ref<Failure>::adopt(new Failure(status, std::move(message), cl_status))) {}

    int status() const noexcept { return failure_->status(); }
    cl_int cl_status() const noexcept { return failure_->cl_status(); }
    const std::string &message() const noexcept { return failure_->message(); }
    const Ref<Failure> &failure() const noexcept { return failure_; }
    const char *what() const noexcept override { return failure_->message().c_str(); }

private:
    Ref<Failure> failure_;
};

// The name of an OpenCL error code ("CL_INVALID_EVENT"), or "CL_<n>".
std::string cl_error_name(cl_int code);

// Throws Error(ORDO_ERROR_OPENCL) naming the call and the code when code != CL_SUCCESS.
void check_cl(cl_int code, const char *call);

// Test hook for fault injection: when armed with n > 0, the n-th checked
// internal allocation from now throws std::bad_alloc (and disarms). Checked
// allocations are those of tickets, futures, handles and event lists.
void fail_nth_allocation(long n) noexcept;
// Called at each checked allocation point; throws std::bad_alloc when due.
void allocation_point();

extern std::atomic<long> g_alloc_countdown;

inline void maybe_fail_allocation() {
    if (g_alloc_countdown.load(std::memory_order_relaxed) > 0) [[unlikely]]
        allocation_point();
}

} // namespace ordo::detail
