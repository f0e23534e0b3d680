// Rings: double buffering with one call per chunk. Chunk k uploads into
// device buffer k mod 2; its ticket makes it wait (on the device) for the
// chunk that used the same buffer before it.
#include "common.hpp"

#include <cstdio>

int main() {
    cl::Device device = example::first_device();
    cl::Context context(device);
    cl::CommandQueue queue(context, device);
    constexpr size_t n = 1024;
    cl::Buffer buffers[2] = {cl::Buffer(context, CL_MEM_READ_WRITE, n * sizeof(float)),
                             cl::Buffer(context, CL_MEM_READ_WRITE, n * sizeof(float))};
    ordo::Resource slot0(&buffers[0], "d_buf[0]"), slot1(&buffers[1], "d_buf[1]");
    ordo::Ring ring({slot0, slot1});

    std::vector<std::vector<float>> host(6, std::vector<float>(n));
    std::vector<float> back(6, -1.0f);
    std::vector<cl::Event> reads(6);
    for (int k = 0; k < 6; ++k) {
        size_t index = 0;
        ordo::Ticket ticket = ring.acquire(ordo::Mode::exclusive, &index);
        cl::Buffer &buffer = *static_cast<cl::Buffer *>(ticket.value());
        std::fill(host[k].begin(), host[k].end(), float(k));
        ticket.enqueue_wait(queue); // device-side: after the previous user of this buffer
        cl::Event written;
        queue.enqueueWriteBuffer(buffer, CL_FALSE, 0, n * sizeof(float), host[k].data(), nullptr,
                                 &written);
        std::vector<cl::Event> after{written};
        queue.enqueueReadBuffer(buffer, CL_FALSE, 0, sizeof(float), &back[k], &after, &reads[k]);
        ticket.ready({reads[k]});
        std::printf("chunk %d -> d_buf[%zu]\n", k, index);
    }
    cl::Event::waitForEvents(reads);
    int bad = 0;
    for (int k = 0; k < 6; ++k)
        bad += back[k] != float(k);
    std::printf("%d mismatches\n", bad);
    return bad == 0 ? 0 : 1;
}
