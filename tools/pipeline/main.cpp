// ordo-pipeline: runs the pipeline-v1 workload and prints, per mode,
//   pipeline-v1 mode=pipelined chunks=512 elements=65536 repeat=1 wall_s=1.234 chunks_per_s=415.0
//   mismatches=0
// Exit status 0, 1 if any chunk mismatched, 2 on a usage or runtime error.
#include "pipeline.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace {

using namespace pipeline;

const char *kUsage =
    R"(usage: ordo-pipeline [options]

Runs the pipeline-v1 workload: chunks are uploaded, transformed by a kernel
(y = x * a + b, repeated) and downloaded, then checked on the host. Prints one
line per mode; exit status 1 if any chunk mismatched.

  --chunks C        chunks per timed run (default 512)
  --elements S      float32 elements per chunk (default 65536)
  --repeat R        times the kernel applies y = x * a + b (default 1)
  --inflight J      chunks in flight in pipelined and raw modes (default 4)
  --mode M          pipelined, serial, raw, both (pipelined then serial) or
                    all (pipelined, serial, raw); default both
  --platform P      OpenCL platform: index, or part of its name (default 0)
  --device D        device of that platform: index, or part of its name
                    (default 0); a name is searched on every platform when
                    --platform is not given
  --list            list the platforms and devices, then exit
  --profile         also print, from OpenCL profiling timestamps, how busy
                    each queue and the host were and how much they overlapped
  --timeline FILE   write the timed runs' timeline as a self-contained SVG
                    (implies profiling)
  --progress-after S
                    show a progress line on stderr, when it is a terminal,
                    once a timed run has lasted S seconds (default 1)
  --inject-mismatch N
                    for tests: corrupt chunk N's output before its check, in
                    each timed run
  --help            this text

Modes: pipelined orders the chunks with ordo (tickets on the rings of host
and device buffers, device-side waits between three queues, a bounded job
queue); serial uses one queue and waits after every step; raw is the
pipelined schedule chained by hand with cl_events, without ordo.
)";

struct Options {
    long chunks = 512;
    long elements = 65536;
    long repeat = 1;
    long inflight = 4;
    std::vector<Mode> modes{Mode::pipelined, Mode::serial};
    std::string platform = "0", device = "0";
    bool platform_given = false;
    bool list = false;
    bool profile = false;
    std::string timeline;
    long inject_mismatch = -1;
    double progress_after = 1.0;
};

[[noreturn]] void usage_error(const std::string &message) {
    std::fprintf(stderr, "ordo-pipeline: %s\n(ordo-pipeline --help lists the options)\n",
                 message.c_str());
    std::exit(2);
}

long parse_count(const std::string &option, const std::string &text, long least) {
    char *end = nullptr;
    errno = 0;
    long v = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || errno != 0 || v < least)
        usage_error(option + " needs an integer of at least " + std::to_string(least) + ", not '" +
                    text + "'");
    return v;
}

Options parse(int argc, char **argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i], value;
        size_t eq = arg.find('=');
        bool has_value = eq != std::string::npos;
        if (has_value) {
            value = arg.substr(eq + 1);
            arg = arg.substr(0, eq);
        }
        auto next = [&]() -> std::string {
            if (has_value)
                return value;
            if (i + 1 >= argc)
                usage_error(arg + " needs a value");
            return argv[++i];
        };
        if (arg == "--help" || arg == "-h") {
            std::fputs(kUsage, stdout);
            std::exit(0);
        } else if (arg == "--chunks") {
            o.chunks = parse_count(arg, next(), 1);
        } else if (arg == "--elements") {
            o.elements = parse_count(arg, next(), 1);
        } else if (arg == "--repeat") {
            o.repeat = parse_count(arg, next(), 0);
            if (o.repeat > INT32_MAX)
                usage_error("--repeat is too large");
        } else if (arg == "--inflight") {
            o.inflight = parse_count(arg, next(), 1);
        } else if (arg == "--mode") {
            std::string m = next();
            if (m == "pipelined")
                o.modes = {Mode::pipelined};
            else if (m == "serial")
                o.modes = {Mode::serial};
            else if (m == "raw")
                o.modes = {Mode::raw};
            else if (m == "both")
                o.modes = {Mode::pipelined, Mode::serial};
            else if (m == "all")
                o.modes = {Mode::pipelined, Mode::serial, Mode::raw};
            else
                usage_error("--mode is pipelined, serial, raw, both or all, not '" + m + "'");
        } else if (arg == "--platform") {
            o.platform = next();
            o.platform_given = true;
        } else if (arg == "--device") {
            o.device = next();
        } else if (arg == "--list" && !has_value) {
            o.list = true;
        } else if (arg == "--profile" && !has_value) {
            o.profile = true;
        } else if (arg == "--timeline") {
            o.timeline = next();
            o.profile = true;
        } else if (arg == "--progress-after") {
            std::string text = next();
            char *end = nullptr;
            o.progress_after = std::strtod(text.c_str(), &end);
            if (text.empty() || *end != '\0' || !(o.progress_after >= 0) || o.progress_after > 1e6)
                usage_error("--progress-after needs a number of seconds, not '" + text + "'");
        } else if (arg == "--inject-mismatch") {
            o.inject_mismatch = parse_count(arg, next(), 0);
        } else {
            usage_error("unknown option '" + std::string(argv[i]) + "'");
        }
    }
    return o;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

bool is_index(const std::string &s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

std::string platform_name(cl_platform_id p) {
    char name[256] = {};
    clGetPlatformInfo(p, CL_PLATFORM_NAME, sizeof name - 1, name, nullptr);
    return name;
}

std::string device_name(cl_device_id d) {
    char name[256] = {};
    clGetDeviceInfo(d, CL_DEVICE_NAME, sizeof name - 1, name, nullptr);
    return name;
}

std::vector<cl_platform_id> platforms() {
    cl_uint n = 0;
    if (clGetPlatformIDs(0, nullptr, &n) != CL_SUCCESS || n == 0)
        throw std::runtime_error("no OpenCL platform");
    std::vector<cl_platform_id> out(n);
    check_cl(clGetPlatformIDs(n, out.data(), nullptr), "clGetPlatformIDs");
    return out;
}

std::vector<cl_device_id> devices(cl_platform_id p) {
    cl_uint n = 0;
    if (clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, nullptr, &n) != CL_SUCCESS || n == 0)
        return {};
    std::vector<cl_device_id> out(n);
    check_cl(clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, n, out.data(), nullptr), "clGetDeviceIDs");
    return out;
}

void list_devices() {
    std::vector<cl_platform_id> ps = platforms();
    for (size_t i = 0; i < ps.size(); ++i) {
        std::printf("platform %zu: %s\n", i, platform_name(ps[i]).c_str());
        std::vector<cl_device_id> ds = devices(ps[i]);
        for (size_t j = 0; j < ds.size(); ++j)
            std::printf("  device %zu: %s\n", j, device_name(ds[j]).c_str());
    }
}

// Picks by index, or by a case-insensitive part of the name.
template <class T>
long pick(const std::vector<T> &items, const std::string &wanted, std::string (*name_of)(T)) {
    if (is_index(wanted)) {
        long index = std::strtol(wanted.c_str(), nullptr, 10);
        return index < static_cast<long>(items.size()) ? index : -1;
    }
    for (size_t i = 0; i < items.size(); ++i)
        if (lower(name_of(items[i])).find(lower(wanted)) != std::string::npos)
            return static_cast<long>(i);
    return -1;
}

std::pair<cl_platform_id, cl_device_id> choose(const Options &o) {
    std::vector<cl_platform_id> ps = platforms();
    std::vector<size_t> candidates;
    if (!o.platform_given && !is_index(o.device)) {
        for (size_t i = 0; i < ps.size(); ++i)
            candidates.push_back(i);
    } else {
        long p = pick(ps, o.platform, platform_name);
        if (p < 0)
            throw std::runtime_error("no OpenCL platform '" + o.platform +
                                     "' (ordo-pipeline --list shows them)");
        candidates.push_back(static_cast<size_t>(p));
    }
    for (size_t p : candidates) {
        std::vector<cl_device_id> ds = devices(ps[p]);
        long d = pick(ds, o.device, device_name);
        if (d >= 0)
            return {ps[p], ds[static_cast<size_t>(d)]};
    }
    throw std::runtime_error("no OpenCL device '" + o.device +
                             "' (ordo-pipeline --list shows them)");
}

RunResult run(Mode mode, Setup &s, long chunks, int inflight, Recorder *rec, Progress *progress) {
    switch (mode) {
    case Mode::pipelined:
        return run_pipelined(s, chunks, inflight, rec, progress);
    case Mode::serial:
        return run_serial(s, chunks, rec, progress);
    case Mode::raw:
        return run_raw(s, chunks, inflight, rec, progress);
    }
    return {};
}

int run_all(const Options &o) {
    if (o.list) {
        list_devices();
        return 0;
    }
    auto [platform, device] = choose(o);
    if (o.profile)
        std::printf("device platform=\"%s\" device=\"%s\"\n", platform_name(platform).c_str(),
                    device_name(device).c_str());
    // The kernel is built here, before anything is timed.
    Setup s(platform, device, o.elements, static_cast<int>(o.repeat), o.profile);
    const int inflight = static_cast<int>(std::min<long>(o.inflight, INT32_MAX));
    long warmup_mismatches = 0;
    bool mismatched = false;
    std::vector<Trace> traces;
    for (Mode mode : o.modes) {
        s.corrupt_chunk = -1;
        warmup_mismatches +=
            run(mode, s, std::min(8L, o.chunks), inflight, nullptr, nullptr).mismatches;
        s.corrupt_chunk = o.inject_mismatch;
        Trace trace;
        trace.mode = mode;
        trace.lanes = mode == Mode::serial
                          ? std::vector<std::string>{"host", "queue"}
                          : std::vector<std::string>{"host", "upload", "compute", "download"};
        std::unique_ptr<Recorder> rec;
        if (o.profile) {
            trace.boxes.reserve(static_cast<size_t>(o.chunks) * 5);
            rec = std::make_unique<Recorder>(trace, s.serial);
        }
        RunResult result;
        int64_t start = ordo::now(), end = 0;
        {
            Progress progress(mode_name(mode), o.chunks,
                              static_cast<int64_t>(o.progress_after * 1e9));
            if (rec)
                rec->set_start(start);
            result = run(mode, s, o.chunks, inflight, rec.get(), &progress);
            end = ordo::now();
        }
        double wall = (end - start) / 1e9;
        char line[256];
        std::snprintf(line, sizeof line,
                      "pipeline-v1 mode=%s chunks=%ld elements=%ld repeat=%ld wall_s=%.3f "
                      "chunks_per_s=%.1f mismatches=%ld",
                      mode_name(mode), o.chunks, o.elements, o.repeat, wall, o.chunks / wall,
                      result.mismatches);
        std::printf("%s\n", line);
        mismatched = mismatched || result.mismatches != 0;
        if (o.profile) {
            trace.wall_ns = end - start;
            trace.title = line;
            print_profile(stdout, trace);
            traces.push_back(std::move(trace));
        }
        std::fflush(stdout);
    }
    if (warmup_mismatches != 0) {
        std::fprintf(stderr, "ordo-pipeline: %ld warm-up chunks mismatched\n", warmup_mismatches);
        mismatched = true;
    }
    if (!o.timeline.empty()) {
        write_timeline(o.timeline, traces);
        std::fprintf(stderr, "timeline written to %s\n", o.timeline.c_str());
    }
    return mismatched ? 1 : 0;
}

} // namespace

int main(int argc, char **argv) {
    Options options = parse(argc, argv);
    try {
        return run_all(options);
    } catch (const ordo::Error &e) {
        std::fprintf(stderr, "ordo-pipeline: ordo: %s (%s)\n", e.what(),
                     ordo_status_string(e.status()));
    } catch (const std::exception &e) {
        std::fprintf(stderr, "ordo-pipeline: %s\n", e.what());
    }
    return 2;
}
