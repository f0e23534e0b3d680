// Errors inside the core: one policy. Core functions throw ordo::Error (or
// std::bad_alloc) for bad input and misuse before changing any state; the C
// layer turns them into a status and a per-thread message. Outcomes of waits
// (timeout, a failed predecessor) are not errors and are returned as status.
#pragma once

#include <ordo/ordo.h>

#include <atomic>
#include <exception>
#include <string>

namespace ordo::detail {

class Error : public std::exception {
public:
    Error(int status, std::string message, cl_int cl_status = 0)
        : status_(status), cl_status_(cl_status), message_(std::move(message)) {}

    int status() const noexcept { return status_; }
    cl_int cl_status() const noexcept { return cl_status_; }
    const std::string &message() const noexcept { return message_; }
    const char *what() const noexcept override { return message_.c_str(); }

private:
    int status_;
    cl_int cl_status_;
    std::string message_;
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
