/* A completion queue driven from a plain poll() loop, in C: eight chunks
 * take a ticket each on one device buffer; the loop learns of every grant
 * and of every chunk's device work ending through the queue's one
 * descriptor, with no thread and no callback of its own. Each chunk, once
 * granted, writes its number into the buffer after its predecessor's write
 * (ordo hands it the predecessor's event) and reads it back; the program
 * checks that every chunk read its own number, in ticket order. */
#define CL_TARGET_OPENCL_VERSION 120
#include <ordo/ordo.h>

#include <poll.h>
#include <stdio.h>

enum { kChunks = 8, kGrant = 0, kDone = 1 };

/* A tag: the chunk, and what completed. */
static uint64_t tag_of(int chunk, int what) {
    return (uint64_t)chunk * 2 + (uint64_t)what;
}

int main(void) {
    cl_platform_id platform;
    cl_device_id device;
    cl_int err;
    if (clGetPlatformIDs(1, &platform, NULL) != CL_SUCCESS ||
        clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 1, &device, NULL) != CL_SUCCESS) {
        fprintf(stderr, "no OpenCL device\n");
        return 1;
    }
    cl_context context = clCreateContext(NULL, 1, &device, NULL, NULL, &err);
    cl_command_queue queue = clCreateCommandQueue(context, device, 0, &err);
    cl_mem buffer = clCreateBuffer(context, CL_MEM_READ_WRITE, sizeof(int), NULL, &err);

    ordo_resource r;
    ordo_completion_queue cq;
    ordo_ticket tickets[kChunks];
    int value[kChunks], result[kChunks], order[kChunks], finished = 0, next = 0, bad = 0;
    cl_event read[kChunks];
    int fd;
    ordo_resource_create(buffer, "buffer", &r);
    ordo_completion_queue_create(&cq);
    ordo_completion_queue_fd(cq, &fd);
    for (int i = 0; i < kChunks; ++i) {
        ordo_future grant;
        value[i] = 100 + i;
        result[i] = -1;
        ordo_resource_acquire(r, &tickets[i]);
        ordo_ticket_grant_future(tickets[i], &grant);
        ordo_completion_queue_post(cq, grant, tag_of(i, kGrant));
        ordo_future_destroy(grant); /* the queue keeps the future until read */
    }

    while (finished < kChunks) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 10000) != 1) {
            fprintf(stderr, "nothing completed in 10 s\n");
            return 1;
        }
        ordo_completion batch[16];
        size_t n = 0;
        ordo_completion_queue_read(cq, batch, 16, &n);
        for (size_t k = 0; k < n; ++k) {
            int chunk = (int)(batch[k].tag / 2);
            if (batch[k].status != ORDO_OK) {
                fprintf(stderr, "chunk %d: %s\n", chunk, ordo_status_string(batch[k].status));
                return 1;
            }
            if (batch[k].tag % 2 == kGrant) {
                /* Granted: the predecessor's events are ours to wait for. */
                const cl_event *after;
                size_t num_after;
                cl_event written;
                ordo_future done;
                ordo_ticket_wait(tickets[chunk], ordo_now(), &after, &num_after);
                clEnqueueWriteBuffer(queue, buffer, CL_FALSE, 0, sizeof(int), &value[chunk],
                                     (cl_uint)num_after, after, &written);
                clEnqueueReadBuffer(queue, buffer, CL_FALSE, 0, sizeof(int), &result[chunk], 1,
                                    &written, &read[chunk]);
                ordo_ticket_ready(tickets[chunk], &read[chunk], 1);
                ordo_events_wait_async(&read[chunk], 1, &done);
                ordo_completion_queue_post(cq, done, tag_of(chunk, kDone));
                ordo_future_destroy(done);
                clReleaseEvent(written);
                order[next++] = chunk;
            } else {
                ++finished;
            }
        }
    }

    for (int i = 0; i < kChunks; ++i) {
        printf("grant %d went to chunk %d, which read back %d\n", i, order[i], result[i]);
        bad += order[i] != i || result[i] != value[i];
        ordo_ticket_destroy(tickets[i]);
        clReleaseEvent(read[i]);
    }
    ordo_completion_queue_destroy(cq);
    ordo_resource_destroy(r);
    ordo_events_flush_releases(ORDO_DEADLINE_NEVER);
    clReleaseMemObject(buffer);
    clReleaseCommandQueue(queue);
    clReleaseContext(context);
    printf(bad == 0 ? "all chunks in order\n" : "%d chunks wrong\n", bad);
    return bad == 0 ? 0 : 1;
}
