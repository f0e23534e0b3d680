#include "log.hpp"

#include "thread_annotations.hpp"
#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

namespace ordo::detail {
namespace {

const char *level_name(int level) {
    if (level >= ORDO_LOG_ERROR)
        return "error";
    if (level >= ORDO_LOG_WARNING)
        return "warning";
    if (level >= ORDO_LOG_INFO)
        return "info";
    return "debug";
}

void stderr_hook(void *, int level, const char *message) {
    std::fprintf(stderr, "ordo: %s: %s\n", level_name(level), message);
}

int level_from_environment() {
    // ordo never changes the environment, so reading it races nothing of ours.
    const char *env = std::getenv("ORDO_LOG"); // NOLINT(concurrency-mt-unsafe)
    if (env == nullptr)
        return ORDO_LOG_WARNING;
    struct {
        const char *name;
        int level;
    } const names[] = {{"debug", ORDO_LOG_DEBUG},     {"info", ORDO_LOG_INFO},
                       {"warning", ORDO_LOG_WARNING}, {"warn", ORDO_LOG_WARNING},
                       {"error", ORDO_LOG_ERROR},     {"off", ORDO_LOG_OFF}};
    for (const auto &n : names)
        if (std::strcmp(env, n.name) == 0)
            return n.level;
    return ORDO_LOG_WARNING;
}

// The level is read without a lock on every log call: relaxed is enough,
// a record racing with a level change may go either way.
std::atomic<int> g_level{-1};
std::once_flag g_level_once;

// The hook pair changes rarely; one mutex guards it and is held only to copy it.
Mutex g_hook_mutex;
ordo_log_fn g_hook ORDO_GUARDED_BY(g_hook_mutex) = stderr_hook;
void *g_hook_data ORDO_GUARDED_BY(g_hook_mutex) = nullptr;

int current_level() noexcept {
    int level = g_level.load(std::memory_order_relaxed);
    if (level < 0) [[unlikely]] {
        std::call_once(g_level_once, [] {
            int expected = -1;
            g_level.compare_exchange_strong(expected, level_from_environment(),
                                            std::memory_order_relaxed);
        });
        level = g_level.load(std::memory_order_relaxed);
    }
    return level;
}

} // namespace

bool valid_log_level(int level) noexcept {
    return level == ORDO_LOG_DEBUG || level == ORDO_LOG_INFO || level == ORDO_LOG_WARNING ||
           level == ORDO_LOG_ERROR || level == ORDO_LOG_OFF;
}

bool log_enabled(int level) noexcept {
    return level >= current_level();
}

void log(int level, const char *format, ...) noexcept {
    if (!log_enabled(level))
        return;
    char buffer[4096];
    va_list args;
    va_start(args, format);
    std::vsnprintf(buffer, sizeof buffer, format, args);
    va_end(args);
    ordo_log_fn hook;
    void *data;
    {
        Lock lock(g_hook_mutex);
        hook = g_hook;
        data = g_hook_data;
    }
    hook(data, level, buffer);
}

void set_log_callback(ordo_log_fn fn, void *user_data) noexcept {
    Lock lock(g_hook_mutex);
    g_hook = fn != nullptr ? fn : stderr_hook;
    g_hook_data = fn != nullptr ? user_data : nullptr;
}

void set_log_level(int level) noexcept {
    current_level(); // the environment is read once, before the first explicit setting
    g_level.store(level, std::memory_order_relaxed);
}

int log_level() noexcept {
    return current_level();
}

} // namespace ordo::detail
