/* A C99 program that links libordo and runs a two-ticket exchange: the first
 * holder releases with a user event, the second is granted with it, waits
 * for it on the host and on the device, and both reference counts come back. */
#include <ordo/ordo.h>

#include <stdio.h>
#include <stdlib.h>

#define CHECK(expr)                                                                                \
    do {                                                                                           \
        int check_status_ = (expr);                                                                \
        if (check_status_ != ORDO_OK) {                                                            \
            fprintf(stderr, "%s:%d: %s -> %s (%s)\n", __FILE__, __LINE__, #expr,                   \
                    ordo_status_string(check_status_), ordo_last_error_message());                 \
            return 1;                                                                              \
        }                                                                                          \
    } while (0)

static cl_uint reference_count(cl_event e) {
    cl_uint count = 0;
    clGetEventInfo(e, CL_EVENT_REFERENCE_COUNT, sizeof count, &count, NULL);
    return count;
}

int main(void) {
    cl_platform_id platform;
    cl_device_id device;
    cl_int err;
    cl_context context;
    cl_command_queue queue;
    cl_event released, barrier = NULL;
    ordo_resource buffer;
    ordo_ticket first, second;
    const cl_event *events = NULL;
    size_t num_events = 0;
    int value = 42;
    void *seen = NULL;

    if (clGetPlatformIDs(1, &platform, NULL) != CL_SUCCESS ||
        clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 1, &device, NULL) != CL_SUCCESS) {
        fprintf(stderr, "no OpenCL device\n");
        return 1;
    }
    context = clCreateContext(NULL, 1, &device, NULL, NULL, &err);
    queue = clCreateCommandQueue(context, device, 0, &err);
    released = clCreateUserEvent(context, &err);

    CHECK(ordo_resource_create(&value, "buffer", &buffer));
    CHECK(ordo_resource_acquire(buffer, &first));
    CHECK(ordo_resource_acquire(buffer, &second));
    CHECK(ordo_ticket_wait(first, ORDO_DEADLINE_NEVER, &events, &num_events));
    if (num_events != 0)
        return 1;
    CHECK(ordo_ticket_ready(first, &released, 1));
    CHECK(ordo_ticket_value(second, &seen));
    if (seen != &value)
        return 1;
    CHECK(ordo_ticket_wait(second, ordo_deadline_after(1000000000), &events, &num_events));
    if (num_events != 1 || events[0] != released)
        return 1;
    CHECK(ordo_ticket_enqueue_wait(second, queue, ORDO_DEADLINE_NEVER, &barrier));
    clSetUserEventStatus(released, CL_COMPLETE);
    CHECK(ordo_ticket_wait_complete(second, ordo_deadline_after(10000000000LL), NULL, NULL));
    clFinish(queue);
    CHECK(ordo_ticket_ready(second, NULL, 0));
    CHECK(ordo_ticket_destroy(first));
    CHECK(ordo_ticket_destroy(second));
    CHECK(ordo_resource_destroy(buffer));
    CHECK(ordo_events_flush_releases(ORDO_DEADLINE_NEVER));
    /* The barrier first: a runtime may keep a command's wait list as long as
     * the command's event lives (Rusticl). */
    clReleaseEvent(barrier);
    if (reference_count(released) != 1) {
        fprintf(stderr, "reference count %u\n", reference_count(released));
        return 1;
    }
    clReleaseEvent(released);
    clReleaseCommandQueue(queue);
    clReleaseContext(context);
    printf("two-ticket exchange: ok\n");
    return 0;
}
