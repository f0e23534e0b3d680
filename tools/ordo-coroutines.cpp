// ordo-coroutines: three chunks through two resources, with C++20 coroutines.
//
// Each chunk is a coroutine. It takes its tickets on the staging buffer and
// on the device buffer as soon as it starts (so ticket order is chunk order),
// then suspends until the staging buffer's previous upload has completed
// (Ticket::completed), fills it, suspends until the device buffer is granted
// (Ticket::granted), and chains its upload, kernel and read-back behind a
// device-side wait. One thread runs everything through ordo::RunLoop: no
// thread blocks on the device, and no coroutine is resumed on an OpenCL
// runtime thread.
#define CL_HPP_ENABLE_EXCEPTIONS
#include <ordo/coro.hpp>

#include <cstdio>
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
__kernel void add_one(__global float *x) { x[get_global_id(0)] += 1.0f; }
)CLC";

constexpr size_t kElements = 4096;

struct Pipeline {
    cl::Context context;
    cl::Device device;
    cl::CommandQueue upload, compute;
    cl::Program program;
    cl::Buffer device_buffer;
    std::vector<float> staging = std::vector<float>(kElements);
    ordo::Resource staging_resource{nullptr, "staging buffer"};
    ordo::Resource device_resource{nullptr, "device buffer"};
};

ordo::Task chunk(Pipeline &p, int i, ordo::Executor ex, float &result) {
    ordo::Ticket staging = p.staging_resource.acquire();
    ordo::Ticket device = p.device_resource.acquire();

    co_await ordo::completed(staging, ex); // the last upload from it has finished
    std::fill(p.staging.begin(), p.staging.end(), float(10 * i));

    co_await ordo::granted(device, ex); // the previous chunk released the device buffer
    device.enqueue_wait(p.upload);      // device-side wait: the CPU moves on
    cl::Event uploaded, computed, read;
    p.upload.enqueueWriteBuffer(p.device_buffer, CL_FALSE, 0, kElements * sizeof(float),
                                p.staging.data(), nullptr, &uploaded);
    staging.ready(std::vector<cl::Event>{uploaded});
    cl::Kernel kernel(p.program, "add_one");
    kernel.setArg(0, p.device_buffer);
    std::vector<cl::Event> after_upload{uploaded};
    p.compute.enqueueNDRangeKernel(kernel, cl::NullRange, cl::NDRange(kElements), cl::NullRange,
                                   &after_upload, &computed);
    std::vector<cl::Event> after_kernel{computed};
    p.compute.enqueueReadBuffer(p.device_buffer, CL_FALSE, 0, sizeof(float), &result, &after_kernel,
                                &read);
    device.ready(std::vector<cl::Event>{read});

    // (Named, not a braced list: GCC 12 cannot keep an initializer_list
    // alive across a co_await.)
    std::vector<cl::Event> last{read};
    co_await ordo::resume_on(ordo::wait_events_async(last), ex);
    std::printf("chunk %d: x[0] = %.1f\n", i, result);
}

} // namespace

int main() {
    try {
        Pipeline p;
        p.device = first_device();
        p.context = cl::Context(p.device);
        p.upload = cl::CommandQueue(p.context, p.device);
        p.compute = cl::CommandQueue(p.context, p.device);
        p.program = cl::Program(p.context, kSource, true);
        p.device_buffer = cl::Buffer(p.context, CL_MEM_READ_WRITE, kElements * sizeof(float));

        ordo::RunLoop loop;
        std::vector<float> results(3, -1.0f);
        std::vector<ordo::Task> tasks;
        for (int i = 0; i < 3; ++i)
            tasks.push_back(chunk(p, i, loop.executor(), results[i]));
        bool done = loop.run_until(
            [&] {
                for (auto &t : tasks)
                    if (!t.done())
                        return false;
                return true;
            },
            ordo::deadline_after(std::chrono::seconds(30)));
        int mismatches = 0;
        for (int i = 0; i < 3; ++i) {
            tasks[i].get();
            mismatches += results[i] != 10.0f * i + 1.0f;
        }
        std::printf("3 chunks, %d mismatches\n", mismatches);
        return done && mismatches == 0 ? 0 : 1;
    } catch (const ordo::Error &e) {
        std::fprintf(stderr, "ordo: %s\n", e.what());
    } catch (const cl::Error &e) {
        std::fprintf(stderr, "OpenCL: %s failed (%d)\n", e.what(), e.err());
    }
    return 2;
}
