#include "error.hpp"

#include <new>

namespace ordo::detail {

std::atomic<long> g_alloc_countdown{0};

void fail_nth_allocation(long n) noexcept {
    g_alloc_countdown.store(n, std::memory_order_relaxed);
}

void allocation_point() {
    // Only the thread that takes the counter from 1 to 0 fails.
    long n = g_alloc_countdown.load(std::memory_order_relaxed);
    while (n > 0) {
        if (g_alloc_countdown.compare_exchange_weak(n, n - 1, std::memory_order_relaxed)) {
            if (n == 1)
                throw std::bad_alloc();
            return;
        }
    }
}

std::string cl_error_name(cl_int code) {
    switch (code) {
#define ORDO_CL_CASE(name)                                                                         \
    case name:                                                                                     \
        return #name;
        ORDO_CL_CASE(CL_SUCCESS)
        ORDO_CL_CASE(CL_DEVICE_NOT_FOUND)
        ORDO_CL_CASE(CL_DEVICE_NOT_AVAILABLE)
        ORDO_CL_CASE(CL_COMPILER_NOT_AVAILABLE)
        ORDO_CL_CASE(CL_MEM_OBJECT_ALLOCATION_FAILURE)
        ORDO_CL_CASE(CL_OUT_OF_RESOURCES)
        ORDO_CL_CASE(CL_OUT_OF_HOST_MEMORY)
        ORDO_CL_CASE(CL_PROFILING_INFO_NOT_AVAILABLE)
        ORDO_CL_CASE(CL_MEM_COPY_OVERLAP)
        ORDO_CL_CASE(CL_IMAGE_FORMAT_MISMATCH)
        ORDO_CL_CASE(CL_IMAGE_FORMAT_NOT_SUPPORTED)
        ORDO_CL_CASE(CL_BUILD_PROGRAM_FAILURE)
        ORDO_CL_CASE(CL_MAP_FAILURE)
        ORDO_CL_CASE(CL_MISALIGNED_SUB_BUFFER_OFFSET)
        ORDO_CL_CASE(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST)
        ORDO_CL_CASE(CL_INVALID_VALUE)
        ORDO_CL_CASE(CL_INVALID_DEVICE_TYPE)
        ORDO_CL_CASE(CL_INVALID_PLATFORM)
        ORDO_CL_CASE(CL_INVALID_DEVICE)
        ORDO_CL_CASE(CL_INVALID_CONTEXT)
        ORDO_CL_CASE(CL_INVALID_QUEUE_PROPERTIES)
        ORDO_CL_CASE(CL_INVALID_COMMAND_QUEUE)
        ORDO_CL_CASE(CL_INVALID_HOST_PTR)
        ORDO_CL_CASE(CL_INVALID_MEM_OBJECT)
        ORDO_CL_CASE(CL_INVALID_BINARY)
        ORDO_CL_CASE(CL_INVALID_BUILD_OPTIONS)
        ORDO_CL_CASE(CL_INVALID_PROGRAM)
        ORDO_CL_CASE(CL_INVALID_PROGRAM_EXECUTABLE)
        ORDO_CL_CASE(CL_INVALID_KERNEL_NAME)
        ORDO_CL_CASE(CL_INVALID_KERNEL)
        ORDO_CL_CASE(CL_INVALID_ARG_INDEX)
        ORDO_CL_CASE(CL_INVALID_ARG_VALUE)
        ORDO_CL_CASE(CL_INVALID_ARG_SIZE)
        ORDO_CL_CASE(CL_INVALID_KERNEL_ARGS)
        ORDO_CL_CASE(CL_INVALID_WORK_DIMENSION)
        ORDO_CL_CASE(CL_INVALID_WORK_GROUP_SIZE)
        ORDO_CL_CASE(CL_INVALID_WORK_ITEM_SIZE)
        ORDO_CL_CASE(CL_INVALID_GLOBAL_OFFSET)
        ORDO_CL_CASE(CL_INVALID_EVENT_WAIT_LIST)
        ORDO_CL_CASE(CL_INVALID_EVENT)
        ORDO_CL_CASE(CL_INVALID_OPERATION)
        ORDO_CL_CASE(CL_INVALID_BUFFER_SIZE)
        ORDO_CL_CASE(CL_INVALID_GLOBAL_WORK_SIZE)
        ORDO_CL_CASE(CL_INVALID_PROPERTY)
#undef ORDO_CL_CASE
    default:
        return "CL_" + std::to_string(code);
    }
}

void check_cl(cl_int code, const char *call) {
    if (code != CL_SUCCESS)
        throw Error(ORDO_ERROR_OPENCL, std::string(call) + " failed with " + cl_error_name(code),
                    code);
}

} // namespace ordo::detail
