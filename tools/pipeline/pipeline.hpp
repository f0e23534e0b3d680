// ordo-pipeline: the pipeline-v1 workload (described in BENCHMARKS.md) in
// three modes.
//
// Shared pieces: the OpenCL setup (one context, the queues, the kernel, the
// rings of two device and two host buffers), the host-side fill and check,
// and the trace that the profile summary and the SVG timeline are drawn from.
#pragma once

#include <ordo/coro.hpp>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace pipeline {

enum class Mode { pipelined, serial, raw };
const char *mode_name(Mode mode);

// Throws std::runtime_error naming the call if err is not CL_SUCCESS.
void check_cl(cl_int err, const char *what);

// The steps of one chunk; host steps and device commands.
enum class Step { fill, upload, compute, download, check };
const char *step_name(Step step);

// One box of the timeline: a step of a chunk on a lane, in nanoseconds since
// the start of the timed run.
struct Box {
    int lane;
    long chunk;
    Step step;
    int64_t start, end;
};

// What a timed run did, when profiling: lane 0 is the host, the others are
// command queues.
struct Trace {
    Mode mode;
    std::vector<std::string> lanes;
    std::vector<Box> boxes;
    int64_t wall_ns = 0;
    std::string title;
};

// Device profiling timestamps on the host clock (ordo::now()): the offset is
// measured once per run with a marker whose enqueue the host brackets.
class Recorder {
public:
    Recorder(Trace &trace, cl_command_queue calibration_queue);
    // Times are recorded relative to this host time.
    void set_start(int64_t start_ns) { start_ = start_ns; }
    void host(long chunk, Step step, int64_t start_ns, int64_t end_ns) {
        trace_.boxes.push_back({0, chunk, step, start_ns - start_, end_ns - start_});
    }
    // The command behind event (complete) on the given lane.
    void command(int lane, long chunk, Step step, cl_event event);

private:
    Trace &trace_;
    int64_t start_ = 0;
    int64_t device_minus_host_ = 0;
};

// Everything the modes share, created once, outside the timed runs.
struct Setup {
    Setup(cl_platform_id platform, cl_device_id device, long elements, int repeat, bool profiling);
    ~Setup();
    Setup(const Setup &) = delete;
    Setup &operator=(const Setup &) = delete;

    long elements;
    int repeat;
    size_t bytes;
    cl_device_id device;
    cl_context context = nullptr;
    // Pipelined and raw modes: three in-order queues. Serial mode: one.
    cl_command_queue upload = nullptr, compute = nullptr, download = nullptr, serial = nullptr;
    cl_program program = nullptr;
    cl_kernel kernel[2] = {}; // kernel[k] reads d_in[k], writes d_out[k]
    cl_mem d_in[2] = {}, d_out[2] = {};
    float *h_in[2] = {}, *h_out[2] = {};

    // Chunk i's input value.
    static float value_of(long chunk) { return static_cast<float>(chunk % 97); }
    void fill(int slot, long chunk) const;
    // True if h_out[slot] holds chunk's expected output (double-precision sum
    // against the closed form, relative tolerance 1e-4).
    bool check(int slot, long chunk) const;
    // For tests of the check: this chunk's output is corrupted before its check.
    long corrupt_chunk = -1;

private:
    void release() noexcept;
};

struct RunResult {
    long mismatches = 0;
};

// Reports progress on stderr when it is a terminal and the run has lasted
// after_ns.
class Progress {
public:
    Progress(const char *mode, long total, int64_t after_ns);
    ~Progress();
    void tick(long done) {
        if (enabled_ && (done & 15) == 0)
            update(done);
    }

private:
    void update(long done);
    bool enabled_;
    bool shown_ = false;
    const char *mode_;
    long total_;
    int64_t start_, next_;
};

// Each runs chunks 0..count-1 and returns the mismatches. recorder may be null.
RunResult run_pipelined(Setup &s, long count, int inflight, Recorder *recorder, Progress *progress);
RunResult run_serial(Setup &s, long count, Recorder *recorder, Progress *progress);
RunResult run_raw(Setup &s, long count, int inflight, Recorder *recorder, Progress *progress);

// Busy time of each lane and how much the lanes overlapped, one line each.
void print_profile(std::FILE *out, const Trace &trace);
// A self-contained SVG: one panel per trace, one lane per queue plus the host.
void write_timeline(const std::string &path, const std::vector<Trace> &traces);

} // namespace pipeline
