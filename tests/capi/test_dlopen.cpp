// "Other languages dlopen it": load libordo.so at run time and drive a
// two-ticket exchange through function pointers only.
#include <ordo/ordo.h>

#include <gtest/gtest.h>

#include <dlfcn.h>

#ifndef ORDO_LIBRARY_PATH
#error "ORDO_LIBRARY_PATH must name the built libordo.so"
#endif

namespace {

template <class F>
F symbol(void *library, const char *name) {
    void *p = dlsym(library, name);
    EXPECT_NE(p, nullptr) << name << ": " << dlerror();
    return reinterpret_cast<F>(p);
}

} // namespace

TEST(Dlopen, TwoTicketExchangeThroughFunctionPointers) {
    void *library = dlopen(ORDO_LIBRARY_PATH, RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(library, nullptr) << dlerror();
    auto version = symbol<int (*)(int *, int *, int *)>(library, "ordo_version");
    auto create =
        symbol<int (*)(void *, const char *, ordo_resource *)>(library, "ordo_resource_create");
    auto acquire = symbol<int (*)(ordo_resource, ordo_ticket *)>(library, "ordo_resource_acquire");
    auto wait = symbol<int (*)(ordo_ticket, ordo_deadline, const cl_event **, size_t *)>(
        library, "ordo_ticket_wait");
    auto ready =
        symbol<int (*)(ordo_ticket, const cl_event *, size_t)>(library, "ordo_ticket_ready");
    auto destroy_ticket = symbol<int (*)(ordo_ticket)>(library, "ordo_ticket_destroy");
    auto destroy_resource = symbol<int (*)(ordo_resource)>(library, "ordo_resource_destroy");
    auto status_string = symbol<const char *(*)(int)>(library, "ordo_status_string");
    auto now = symbol<ordo_deadline (*)(void)>(library, "ordo_now");

    int major = -1;
    version(&major, nullptr, nullptr);
    EXPECT_EQ(major, ORDO_VERSION_MAJOR);
    ordo_resource r = nullptr;
    ordo_ticket a = nullptr, b = nullptr;
    ASSERT_EQ(create(nullptr, "dlopen", &r), ORDO_OK);
    ASSERT_EQ(acquire(r, &a), ORDO_OK);
    ASSERT_EQ(acquire(r, &b), ORDO_OK);
    EXPECT_STREQ(status_string(wait(b, now(), nullptr, nullptr)), "ORDO_ERROR_TIMEOUT");
    ASSERT_EQ(wait(a, now(), nullptr, nullptr), ORDO_OK);
    ASSERT_EQ(ready(a, nullptr, 0), ORDO_OK);
    EXPECT_EQ(wait(b, now(), nullptr, nullptr), ORDO_OK);
    EXPECT_EQ(ready(b, nullptr, 0), ORDO_OK);
    destroy_ticket(a);
    destroy_ticket(b);
    destroy_resource(r);
    EXPECT_EQ(dlclose(library), 0);
}
