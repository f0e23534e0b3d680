#include "quirks.hpp"

#include "immortal.hpp"
#include "thread_annotations.hpp"
#include <cstring>
#include <mutex>
#include <vector>

namespace ordo::detail {

namespace {

// Each runtime ordo knows, found by a part of its platform name. The facts
// are of the versions docs/RUNTIMES.md names; none differs by version yet.
struct Known {
    const char *name_part;
    Quirks quirks;
};
constexpr Known kKnown[] = {
    {"Portable Computing Language",
     {.runtime = Runtime::kPocl,
      .no_callback_for_failed_events = true,
      .frees_unheld_commands = true,
      .stalls_on_failed_wait_list = true,
      .finishes_commands_in_steps = true}},
    {"Oclgrind",
     {.runtime = Runtime::kOclgrind,
      .runs_only_flushed_commands = true,
      .flush_runs_queue_on_caller = true,
      .callbacks_after_whole_flush = true}},
    {"rusticl",
     {.runtime = Runtime::kRusticl,
      .no_callback_for_failed_events = true,
      .callbacks_hold_the_event_lock = true,
      .completes_flushed_batches_whole = true,
      .runs_only_flushed_commands = true,
      .keeps_extra_event_references = true}},
    {"NVIDIA", {.runtime = Runtime::kNvidia, .wrong_status_in_callbacks = true}},
};

// A runtime ordo does not know: keep barriers nobody holds until they end
// (cheap, and safe wherever commands are freed early).
constexpr Quirks kUnknown{.frees_unheld_commands = true};

} // namespace

Quirks quirks_for(const char *name, const char *version) noexcept {
    (void)version;
    for (const Known &k : kKnown)
        if (std::strstr(name, k.name_part) != nullptr)
            return k.quirks;
    return kUnknown;
}

namespace {

Quirks quirks_of_platform(cl_platform_id platform) noexcept {
    char name[256] = {}, version[256] = {};
    if (clGetPlatformInfo(platform, CL_PLATFORM_NAME, sizeof name - 1, name, nullptr) != CL_SUCCESS)
        return quirks_for("", "");
    clGetPlatformInfo(platform, CL_PLATFORM_VERSION, sizeof version - 1, version, nullptr);
    return quirks_for(name, version);
}

struct DeviceCache {
    Mutex mutex;
    std::vector<std::pair<cl_device_id, Quirks>> known ORDO_GUARDED_BY(mutex);
};

// Asked from threads that may outlive static destruction.
DeviceCache &device_cache() noexcept {
    static Immortal<DeviceCache> cache;
    return cache.get();
}

} // namespace

Quirks quirks_of_device(cl_device_id device) noexcept {
    DeviceCache &cache = device_cache();
    {
        Lock lock(cache.mutex);
        for (auto &[d, q] : cache.known)
            if (d == device)
                return q;
    }
    // No lock of ours is held across an OpenCL call.
    cl_platform_id platform = nullptr;
    if (clGetDeviceInfo(device, CL_DEVICE_PLATFORM, sizeof platform, &platform, nullptr) !=
        CL_SUCCESS)
        return quirks_for("", "");
    Quirks q = quirks_of_platform(platform);
    Lock lock(cache.mutex);
    if (cache.known.size() < 64) {
        try {
            cache.known.emplace_back(device, q);
        } catch (...) {
            // Asked again next time.
        }
    }
    return q;
}

Quirks quirks_of_queue(cl_command_queue queue) noexcept {
    cl_device_id device = nullptr;
    if (clGetCommandQueueInfo(queue, CL_QUEUE_DEVICE, sizeof device, &device, nullptr) !=
        CL_SUCCESS)
        return quirks_for("", "");
    return quirks_of_device(device);
}

bool some_platform_has_wrong_status_in_callbacks() noexcept {
    static const bool answer = [] {
        cl_uint n = 0;
        if (clGetPlatformIDs(0, nullptr, &n) != CL_SUCCESS || n == 0)
            return false;
        std::vector<cl_platform_id> platforms(n);
        if (clGetPlatformIDs(n, platforms.data(), nullptr) != CL_SUCCESS)
            return false;
        for (cl_platform_id p : platforms)
            if (quirks_of_platform(p).wrong_status_in_callbacks)
                return true;
        return false;
    }();
    return answer;
}

} // namespace ordo::detail
