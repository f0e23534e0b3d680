// The library's log hook: a settable callback (default: stderr), a level
// read from ORDO_LOG on first use.
#pragma once

#include <ordo/ordo.h>

namespace ordo::detail {

bool log_enabled(int level) noexcept;
// printf-style; never throws, never blocks on anything but the hook itself.
void log(int level, const char *format, ...) noexcept __attribute__((format(printf, 2, 3)));
void set_log_callback(ordo_log_fn fn, void *user_data) noexcept;
void set_log_level(int level) noexcept;
int log_level() noexcept;
bool valid_log_level(int level) noexcept;

} // namespace ordo::detail
