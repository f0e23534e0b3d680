/* Regression: ordo.h defined CL_TARGET_OPENCL_VERSION as 120 when its
 * includer had not chosen one, which hid OpenCL 2.0 and later from the
 * includer: a C99 program calling clCreateCommandQueueWithProperties after
 * including it did not compile (an implicit declaration). ordo.h now targets
 * what CL/cl.h itself would (3.0), quietly, and only if the includer has not
 * chosen. Compiled only (-fsyntax-only), with -Werror. */
#include <ordo/ordo.h>

cl_command_queue make_queue(cl_context context, cl_device_id device) {
    cl_int err = CL_SUCCESS;
    return clCreateCommandQueueWithProperties(context, device, NULL, &err);
}

int target_version(void) {
    return CL_TARGET_OPENCL_VERSION;
}
