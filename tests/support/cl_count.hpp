// Test support: a counting layer over the OpenCL calls whose number the
// tests assert. A test executable that links this file defines
// clSetEventCallback itself; the dynamic linker binds libordo's calls to
// it, and it forwards each to the ICD loader's. Public headers only.
#pragma once

#include <cstdint>

namespace ordo_test {

// clSetEventCallback calls made by this thread so far (by any code,
// libordo included), and by every thread.
uint64_t callback_registrations_on_this_thread();
uint64_t callback_registrations();

} // namespace ordo_test
