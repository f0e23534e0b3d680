// Versions, statuses, the per-thread error message, deadlines and logging.
#include "handles.hpp"

#include "../lib/clock.hpp"
#include "../lib/log.hpp"
#include "../lib/service.hpp"

#include <cstdio>
#include <cstring>

namespace ordo::capi {
namespace {

char *last_error_buffer() noexcept {
    thread_local char buffer[1024] = "";
    return buffer;
}

} // namespace

int set_last_error(int status, const char *message) noexcept {
    std::snprintf(last_error_buffer(), 1024, "%s: %s", ordo_status_string(status), message);
    return status;
}

void null_argument(const char *argument) {
    throw Error(ORDO_ERROR_INVALID_ARGUMENT, std::string(argument) + " is NULL");
}

void null_events(size_t num_events) {
    throw Error(ORDO_ERROR_INVALID_ARGUMENT,
                "events is NULL but num_events is " + std::to_string(num_events));
}

} // namespace ordo::capi

using namespace ordo::capi;

extern "C" {

ORDO_API int ordo_version(int *major, int *minor, int *patch) {
    if (major != nullptr)
        *major = ORDO_VERSION_MAJOR;
    if (minor != nullptr)
        *minor = ORDO_VERSION_MINOR;
    if (patch != nullptr)
        *patch = ORDO_VERSION_PATCH;
    return ORDO_VERSION;
}

ORDO_API const char *ordo_status_string(int status) {
    switch (status) {
#define ORDO_STATUS_NAME_(name, value, description)                                                \
    case value:                                                                                    \
        return #name;
        ORDO_STATUS_LIST(ORDO_STATUS_NAME_)
#undef ORDO_STATUS_NAME_
    default:
        return status <= ORDO_STATUS_USER_BASE ? "ORDO_STATUS_USER" : "ORDO_STATUS_UNKNOWN";
    }
}

ORDO_API const char *ordo_status_description(int status) {
    switch (status) {
#define ORDO_STATUS_DESCRIPTION_(name, value, description)                                         \
    case value:                                                                                    \
        return description;
        ORDO_STATUS_LIST(ORDO_STATUS_DESCRIPTION_)
#undef ORDO_STATUS_DESCRIPTION_
    default:
        return status <= ORDO_STATUS_USER_BASE ? "an application-defined failure"
                                               : "unknown status";
    }
}

ORDO_API const char *ordo_last_error_message(void) {
    return last_error_buffer();
}

ORDO_API ordo_deadline ordo_now(void) {
    return ordo::detail::now_ns();
}

ORDO_API ordo_deadline ordo_deadline_after(int64_t timeout_ns) {
    return ordo::detail::deadline_after(timeout_ns);
}

ORDO_API int ordo_events_flush_releases(ordo_deadline deadline) {
    if (!ordo::detail::Service::instance().flush_releases(deadline))
        return set_last_error(ORDO_ERROR_TIMEOUT,
                              "event references were still being released at the deadline");
    return ORDO_OK;
}

ORDO_API int ordo_log_set_callback(ordo_log_fn fn, void *user_data) {
    ordo::detail::set_log_callback(fn, user_data);
    return ORDO_OK;
}

ORDO_API int ordo_log_set_level(int level) {
    if (!ordo::detail::valid_log_level(level))
        return set_last_error(ORDO_ERROR_INVALID_ARGUMENT,
                              "level " + std::to_string(level) + " is not an ordo_log_level");
    ordo::detail::set_log_level(level);
    return ORDO_OK;
}

ORDO_API int ordo_log_get_level(void) {
    return ordo::detail::log_level();
}

} // extern "C"
