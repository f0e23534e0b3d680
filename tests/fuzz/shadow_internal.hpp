// What the shadow's files (shadow.cpp, shadow_*.cpp) share beyond the class
// (shadow.hpp): which statuses are failures, how statuses are named in a
// violation's message, the message of the last error, and the check of a
// call's status against the one the contract says.
#pragma once

#include "shadow.hpp"

#include <ordo/ordo.h>

#include <string>

namespace ordo_fuzz {

// What ordo.h calls a failure status.
inline bool failure_status(int status) {
    return status < 0 && status != ORDO_ERROR_INVALID_ARGUMENT &&
           status != ORDO_ERROR_INVALID_HANDLE && status != ORDO_ERROR_INVALID_STATE &&
           status != ORDO_ERROR_TIMEOUT && status != ORDO_ERROR_WOULD_BLOCK;
}

constexpr int kEither = Shadow::kRuntimeDecides;

inline std::string status_name(int status) {
    return status == kEither ? "(either)" : ordo_status_string(status);
}

// The message of the thread's last error without its "NAME: " prefix.
inline std::string last_message(int status) {
    std::string m = ordo_last_error_message();
    std::string prefix = std::string(ordo_status_string(status)) + ": ";
    return m.rfind(prefix, 0) == 0 ? m.substr(prefix.size()) : m;
}

inline void expect(const char *call, int expected, int status) {
    if (expected != kEither && status != expected)
        Shadow::violation(std::string(call) + " returned " + status_name(status) + " (" +
                          ordo_last_error_message() + "), the contract says " +
                          status_name(expected));
}

} // namespace ordo_fuzz
