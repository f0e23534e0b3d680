// Deferred device waits: a three-stage chain (upload, copy, download on
// three queues) for every chunk is enqueued up front, without the host ever
// waiting, behind a gate that opens only at the end. Each stage's queue
// waits on the device for the previous holder of its buffer.
#include "common.hpp"

#include <cstdio>

int main() {
    cl::Device device = example::first_device();
    if (cl::Platform(device.getInfo<CL_DEVICE_PLATFORM>())
            .getInfo<CL_PLATFORM_NAME>()
            .find("Oclgrind") != std::string::npos) {
        // 77: "skipped" for meson.
        std::printf("skipped: Oclgrind's clFlush runs a queue that waits on a user event on the "
                    "calling thread, so a host that enqueues everything first would block\n");
        return 77;
    }
    cl::Context context(device);
    cl::CommandQueue upload(context, device), copy(context, device), download(context, device);
    constexpr size_t n = 4096;
    constexpr int chunks = 8;
    cl::Buffer a(context, CL_MEM_READ_WRITE, n * sizeof(float));
    cl::Buffer b(context, CL_MEM_READ_WRITE, n * sizeof(float));
    ordo::Resource ra(&a, "a"), rb(&b, "b");
    std::vector<std::vector<float>> in(chunks, std::vector<float>(n)), out = in;
    cl::UserEvent gate(context);
    std::vector<cl::Event> done;
    for (int k = 0; k < chunks; ++k) {
        std::fill(in[k].begin(), in[k].end(), float(k + 1));
        ordo::Ticket ta = ra.acquire(), tb = rb.acquire();
        ta.enqueue_wait_deferred(upload); // returns at once
        std::vector<cl::Event> first{gate};
        cl::Event written, copied, read;
        upload.enqueueWriteBuffer(a, CL_FALSE, 0, n * sizeof(float), in[k].data(),
                                  k == 0 ? &first : nullptr, &written);
        upload.flush();
        tb.enqueue_wait_deferred(copy);
        std::vector<cl::Event> after_write{written};
        copy.enqueueCopyBuffer(a, b, 0, 0, n * sizeof(float), &after_write, &copied);
        ta.ready({copied});
        std::vector<cl::Event> after_copy{copied};
        download.enqueueReadBuffer(b, CL_FALSE, 0, n * sizeof(float), out[k].data(), &after_copy,
                                   &read);
        download.flush();
        tb.ready({read});
        done.push_back(read);
    }
    std::printf("%d chunks x 3 stages enqueued; the host never waited\n", chunks);
    gate.setStatus(CL_COMPLETE);
    cl::Event::waitForEvents(done);
    int bad = 0;
    for (int k = 0; k < chunks; ++k)
        bad += out[k] != in[k];
    std::printf("%d mismatches\n", bad);
    return bad == 0 ? 0 : 1;
}
