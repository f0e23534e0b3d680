// ordo-demo: a few chunks through two queues and two resources, printing
// when each ticket was granted and which events it then waited for.
//
// Each chunk takes, in chunk order, a ticket on the host staging buffer and
// one on the device buffer, then runs on its own thread: it waits on the host
// until the previous upload has read the staging buffer, fills it, uploads it
// on the upload queue behind a device-side wait for the previous chunk's work
// on the device buffer, doubles it with a kernel on the compute queue and
// reads one value back. Chunk 0 is made slow on purpose: the others still
// get each buffer after it, in ticket order.
#define CL_HPP_ENABLE_EXCEPTIONS
#include <ordo/ordo.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

// The first device of the first platform. (Not cl::Device::getDefault():
// CLHPP's static default context is released at exit, which Oclgrind 21.10
// does not survive.)
cl::Device first_device() {
    std::vector<cl::Platform> platforms;
    cl::Platform::get(&platforms);
    std::vector<cl::Device> devices;
    platforms.at(0).getDevices(CL_DEVICE_TYPE_ALL, &devices);
    return devices.at(0);
}

const char *kSource = R"CLC(
__kernel void twice(__global float *x) { x[get_global_id(0)] *= 2.0f; }
)CLC";

std::mutex g_mutex;
std::map<cl_event, std::string> g_names; // guarded by g_mutex
ordo::Deadline g_start;

void name(const cl::Event &e, std::string n) {
    std::lock_guard lock(g_mutex);
    g_names[e()] = std::move(n);
}

void say(int chunk, const char *what, const std::vector<cl::Event> &events) {
    std::lock_guard lock(g_mutex);
    std::string list;
    for (const cl::Event &e : events) {
        auto it = g_names.find(e());
        list += (list.empty() ? "" : ", ") + (it != g_names.end() ? it->second : "?");
    }
    std::printf("%8.3f ms  chunk %d  %-24s waits for: %s\n", (ordo::now() - g_start) / 1e6, chunk,
                what, list.empty() ? "nothing" : list.c_str());
}

} // namespace

int main(int argc, char **argv) {
    const int chunks = argc > 1 ? std::atoi(argv[1]) : 4;
    constexpr size_t n = 1 << 16;
    try {
        cl::Device device = first_device();
        if (cl::Platform(device.getInfo<CL_DEVICE_PLATFORM>())
                .getInfo<CL_PLATFORM_NAME>()
                .find("Oclgrind") != std::string::npos) {
            // 77: "skipped" for meson.
            std::printf("skipped: Oclgrind's runtime is not thread-safe (jrprice/Oclgrind#28), "
                        "and this demo enqueues from one thread per chunk\n");
            return 77;
        }
        cl::Context context(device);
        cl::CommandQueue upload(context, device), compute(context, device);
        cl::Program program(context, kSource, true);
        std::vector<float> staging(n), results(chunks, -1.0f);
        cl::Buffer buffer(context, CL_MEM_READ_WRITE, n * sizeof(float));
        std::printf("device: %s\n", device.getInfo<CL_DEVICE_NAME>().c_str());

        ordo::Resource host_buffer(staging.data(), "staging buffer");
        ordo::Resource device_buffer(&buffer, "device buffer");
        g_start = ordo::now();
        std::vector<std::thread> threads;
        for (int i = 0; i < chunks; ++i) {
            // Tickets are taken in chunk order, before anything waits.
            ordo::Ticket host = host_buffer.acquire();
            ordo::Ticket dev = device_buffer.acquire();
            threads.emplace_back([&, i, host = std::move(host), dev = std::move(dev)]() mutable {
                if (i == 0)
                    std::this_thread::sleep_for(std::chrono::milliseconds(50));
                // The staging buffer may be refilled once the last upload from
                // it has completed: a host wait for grant and events.
                say(i, "staging buffer granted,", host.wait_complete());
                std::fill(staging.begin(), staging.end(), float(i));
                // The device buffer: a device-side wait, the CPU does not block.
                say(i, "device buffer granted,", dev.wait());
                dev.enqueue_wait(upload);
                cl::Event copied, doubled, read;
                upload.enqueueWriteBuffer(buffer, CL_FALSE, 0, n * sizeof(float), staging.data(),
                                          nullptr, &copied);
                name(copied, "upload#" + std::to_string(i));
                host.ready({copied()});
                cl::Kernel twice(program, "twice");
                twice.setArg(0, buffer);
                std::vector<cl::Event> after_upload{copied};
                compute.enqueueNDRangeKernel(twice, cl::NullRange, cl::NDRange(n), cl::NullRange,
                                             &after_upload, &doubled);
                std::vector<cl::Event> after_kernel{doubled};
                compute.enqueueReadBuffer(buffer, CL_FALSE, 0, sizeof(float), &results[i],
                                          &after_kernel, &read);
                name(read, "readback#" + std::to_string(i));
                dev.ready({read()});
                read.wait();
            });
        }
        for (auto &t : threads)
            t.join();
        int mismatches = 0;
        for (int i = 0; i < chunks; ++i)
            mismatches += results[i] != 2.0f * i;
        std::printf("%d chunks in ticket order, %d mismatches\n", chunks, mismatches);
        return mismatches == 0 ? 0 : 1;
    } catch (const ordo::Error &e) {
        std::fprintf(stderr, "ordo: %s\n", e.what());
    } catch (const cl::Error &e) {
        std::fprintf(stderr, "OpenCL: %s failed (%d)\n", e.what(), e.err());
    }
    return 2;
}
