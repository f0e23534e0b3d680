#include "cl_count.hpp"

#include <CL/cl.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>

namespace ordo_test {
namespace {

using SetEventCallback = cl_int(CL_API_CALL *)(cl_event, cl_int,
                                               void(CL_CALLBACK *)(cl_event, cl_int, void *),
                                               void *);

std::atomic<uint64_t> g_total{0};
thread_local uint64_t t_mine = 0;

SetEventCallback real_set_event_callback() {
    static SetEventCallback real =
        reinterpret_cast<SetEventCallback>(dlsym(RTLD_NEXT, "clSetEventCallback"));
    if (real == nullptr) {
        std::fprintf(stderr, "cl_count: no clSetEventCallback after this executable\n");
        std::abort();
    }
    return real;
}

} // namespace

uint64_t callback_registrations_on_this_thread() {
    return t_mine;
}

uint64_t callback_registrations() {
    return g_total.load(std::memory_order_relaxed);
}

} // namespace ordo_test

extern "C" CL_API_ENTRY cl_int CL_API_CALL
clSetEventCallback(cl_event event, cl_int type, void(CL_CALLBACK *notify)(cl_event, cl_int, void *),
                   void *user_data) CL_API_SUFFIX__VERSION_1_1 {
    ++ordo_test::t_mine;
    ordo_test::g_total.fetch_add(1, std::memory_order_relaxed);
    return ordo_test::real_set_event_callback()(event, type, notify, user_data);
}
