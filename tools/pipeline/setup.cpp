#include "pipeline.hpp"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

namespace pipeline {
namespace {

const char *kSource = R"CLC(
__kernel void affine(__global const float *x, __global float *y, const float a, const float b,
                     const int repeat) {
    size_t i = get_global_id(0);
    float v = x[i];
    for (int r = 0; r < repeat; ++r)
        v = v * a + b;
    y[i] = v;
}
)CLC";

constexpr float kA = 1.0001f, kB = 0.5f;

float *host_buffer(size_t bytes) {
    // Page-aligned, the same for every mode.
    size_t rounded = (bytes + 4095) / 4096 * 4096;
    void *p = std::aligned_alloc(4096, rounded);
    if (p == nullptr)
        throw std::bad_alloc();
    std::memset(p, 0, rounded);
    return static_cast<float *>(p);
}

} // namespace

const char *mode_name(Mode mode) {
    switch (mode) {
    case Mode::pipelined:
        return "pipelined";
    case Mode::serial:
        return "serial";
    case Mode::raw:
        return "raw";
    }
    return "?";
}

const char *step_name(Step step) {
    switch (step) {
    case Step::fill:
        return "fill";
    case Step::upload:
        return "upload";
    case Step::compute:
        return "compute";
    case Step::download:
        return "download";
    case Step::check:
        return "check";
    }
    return "?";
}

void check_cl(cl_int err, const char *what) {
    if (err != CL_SUCCESS)
        throw std::runtime_error(std::string(what) + " failed (OpenCL error " +
                                 std::to_string(err) + ")");
}

Setup::Setup(cl_platform_id platform, cl_device_id dev, long n, int r, bool profiling)
    : elements(n), repeat(r), bytes(static_cast<size_t>(n) * sizeof(float)), device(dev) {
    try {
        cl_int err = CL_SUCCESS;
        cl_context_properties props[] = {CL_CONTEXT_PLATFORM,
                                         reinterpret_cast<cl_context_properties>(platform), 0};
        context = clCreateContext(props, 1, &device, nullptr, nullptr, &err);
        check_cl(err, "clCreateContext");
        cl_command_queue_properties qp = profiling ? CL_QUEUE_PROFILING_ENABLE : 0;
        for (cl_command_queue *q : {&upload, &compute, &download, &serial}) {
            *q = clCreateCommandQueue(context, device, qp, &err);
            check_cl(err, "clCreateCommandQueue");
        }
        program = clCreateProgramWithSource(context, 1, &kSource, nullptr, &err);
        check_cl(err, "clCreateProgramWithSource");
        err = clBuildProgram(program, 1, &device, "", nullptr, nullptr);
        if (err != CL_SUCCESS) {
            char log[4096] = {};
            clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, sizeof log - 1, log,
                                  nullptr);
            throw std::runtime_error(std::string("the kernel does not build: ") + log);
        }
        for (int k = 0; k < 2; ++k) {
            d_in[k] = clCreateBuffer(context, CL_MEM_READ_WRITE, bytes, nullptr, &err);
            check_cl(err, "clCreateBuffer");
            d_out[k] = clCreateBuffer(context, CL_MEM_READ_WRITE, bytes, nullptr, &err);
            check_cl(err, "clCreateBuffer");
            h_in[k] = host_buffer(bytes);
            h_out[k] = host_buffer(bytes);
            // One kernel object per ring slot: its arguments never change, so
            // no clSetKernelArg per chunk.
            kernel[k] = clCreateKernel(program, "affine", &err);
            check_cl(err, "clCreateKernel");
            float a = kA, b = kB;
            cl_int rep = repeat;
            check_cl(clSetKernelArg(kernel[k], 0, sizeof(cl_mem), &d_in[k]), "clSetKernelArg");
            check_cl(clSetKernelArg(kernel[k], 1, sizeof(cl_mem), &d_out[k]), "clSetKernelArg");
            check_cl(clSetKernelArg(kernel[k], 2, sizeof a, &a), "clSetKernelArg");
            check_cl(clSetKernelArg(kernel[k], 3, sizeof b, &b), "clSetKernelArg");
            check_cl(clSetKernelArg(kernel[k], 4, sizeof rep, &rep), "clSetKernelArg");
        }
    } catch (...) {
        release();
        throw;
    }
}

Setup::~Setup() {
    release();
}

void Setup::release() noexcept {
    for (cl_command_queue q : {upload, compute, download, serial})
        if (q != nullptr)
            clFinish(q);
    for (int k = 0; k < 2; ++k) {
        if (kernel[k] != nullptr)
            clReleaseKernel(kernel[k]);
        if (d_in[k] != nullptr)
            clReleaseMemObject(d_in[k]);
        if (d_out[k] != nullptr)
            clReleaseMemObject(d_out[k]);
        std::free(h_in[k]);
        std::free(h_out[k]);
        kernel[k] = nullptr;
        d_in[k] = d_out[k] = nullptr;
        h_in[k] = h_out[k] = nullptr;
    }
    if (program != nullptr)
        clReleaseProgram(program);
    program = nullptr;
    for (cl_command_queue *q : {&upload, &compute, &download, &serial}) {
        if (*q != nullptr)
            clReleaseCommandQueue(*q);
        *q = nullptr;
    }
    if (context != nullptr)
        clReleaseContext(context);
    context = nullptr;
}

void Setup::fill(int slot, long chunk) const {
    float v = value_of(chunk);
    float *p = h_in[slot];
    for (long k = 0; k < elements; ++k)
        p[k] = v;
}

bool Setup::check(int slot, long chunk) const {
    // Eight partial sums, all in double precision: the same result as one
    // running sum to well within the tolerance, without its latency chain.
    if (chunk == corrupt_chunk)
        h_out[slot][elements / 2] += 1.0e6f;
    const float *y = h_out[slot];
    double part[8] = {};
    long k = 0;
    for (; k + 8 <= elements; k += 8)
        for (int j = 0; j < 8; ++j)
            part[j] += y[k + j];
    double sum = 0;
    for (; k < elements; ++k)
        sum += y[k];
    for (double p : part)
        sum += p;
    const double a = static_cast<double>(kA), b = kB, v = value_of(chunk);
    const double ar = std::pow(a, repeat);
    const double expected = static_cast<double>(elements) * (v * ar + b * (ar - 1) / (a - 1));
    return std::fabs(sum - expected) <= 1e-4 * std::fabs(expected);
}

// ---------------------------------------------------------------------------

Recorder::Recorder(Trace &trace, cl_command_queue queue) : trace_(trace) {
    // Bracket a marker's enqueue with host readings; its QUEUED timestamp was
    // taken in between. The tightest of a few brackets gives the offset.
    int64_t best_width = INT64_MAX;
    for (int attempt = 0; attempt < 5; ++attempt) {
        cl_event marker = nullptr;
        int64_t before = ordo::now();
        check_cl(clEnqueueMarkerWithWaitList(queue, 0, nullptr, &marker),
                 "clEnqueueMarkerWithWaitList");
        int64_t after = ordo::now();
        cl_int err = clWaitForEvents(1, &marker);
        cl_ulong queued = 0;
        if (err == CL_SUCCESS)
            err = clGetEventProfilingInfo(marker, CL_PROFILING_COMMAND_QUEUED, sizeof queued,
                                          &queued, nullptr);
        clReleaseEvent(marker);
        check_cl(err, "clGetEventProfilingInfo(CL_PROFILING_COMMAND_QUEUED)");
        if (after - before < best_width) {
            best_width = after - before;
            device_minus_host_ = static_cast<int64_t>(queued) - (before + (after - before) / 2);
        }
    }
}

void Recorder::command(int lane, long chunk, Step step, cl_event event) {
    cl_ulong start = 0, end = 0;
    check_cl(
        clGetEventProfilingInfo(event, CL_PROFILING_COMMAND_START, sizeof start, &start, nullptr),
        "clGetEventProfilingInfo(CL_PROFILING_COMMAND_START)");
    check_cl(clGetEventProfilingInfo(event, CL_PROFILING_COMMAND_END, sizeof end, &end, nullptr),
             "clGetEventProfilingInfo(CL_PROFILING_COMMAND_END)");
    int64_t shift = device_minus_host_ + start_;
    trace_.boxes.push_back({lane, chunk, step, static_cast<int64_t>(start) - shift,
                            static_cast<int64_t>(end) - shift});
}

// ---------------------------------------------------------------------------

Progress::Progress(const char *mode, long total, int64_t after_ns)
    : enabled_(isatty(STDERR_FILENO) == 1), mode_(mode), total_(total), start_(ordo::now()),
      next_(start_ + after_ns) {}

Progress::~Progress() {
    if (shown_)
        std::fputs("\r\033[K", stderr);
}

void Progress::update(long done) {
    int64_t t = ordo::now();
    if (t < next_)
        return;
    // Then five times a second.
    next_ = t + 200'000'000;
    shown_ = true;
    double elapsed = (t - start_) / 1e9;
    std::fprintf(stderr, "\r\033[K%s: %ld/%ld chunks, %.1f s, %.0f chunks/s", mode_, done, total_,
                 elapsed, elapsed > 0 ? done / elapsed : 0.0);
    std::fflush(stderr);
}

} // namespace pipeline
