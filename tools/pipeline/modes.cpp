// The three schedules of pipeline-v1.
#include "pipeline.hpp"

#include <deque>
#include <exception>

namespace pipeline {
namespace {

// Lanes of the pipelined and raw traces (0 is the host).
constexpr int kUploadLane = 1, kComputeLane = 2, kDownloadLane = 3;

static_assert(sizeof(cl::Event) == sizeof(cl_event), "cl::Event wraps exactly a cl_event");
const cl_event *raw_events(const std::vector<cl::Event> &events) {
    return events.empty() ? nullptr : reinterpret_cast<const cl_event *>(events.data());
}

void enqueue_upload(Setup &s, int slot, cl_uint n, const cl_event *after, cl_event *done) {
    check_cl(clEnqueueWriteBuffer(s.upload, s.d_in[slot], CL_FALSE, 0, s.bytes, s.h_in[slot], n,
                                  after, done),
             "clEnqueueWriteBuffer");
    check_cl(clFlush(s.upload), "clFlush");
}

void enqueue_compute(Setup &s, int slot, cl_uint n, const cl_event *after, cl_event *done) {
    size_t global = static_cast<size_t>(s.elements);
    check_cl(clEnqueueNDRangeKernel(s.compute, s.kernel[slot], 1, nullptr, &global, nullptr, n,
                                    after, done),
             "clEnqueueNDRangeKernel");
    check_cl(clFlush(s.compute), "clFlush");
}

void enqueue_download(Setup &s, int slot, cl_uint n, const cl_event *after, cl_event *done) {
    check_cl(clEnqueueReadBuffer(s.download, s.d_out[slot], CL_FALSE, 0, s.bytes, s.h_out[slot], n,
                                 after, done),
             "clEnqueueReadBuffer");
    check_cl(clFlush(s.download), "clFlush");
}

// Fills h_in[slot] for chunk, recording the host step.
void timed_fill(Setup &s, Recorder *rec, int slot, long chunk) {
    int64_t t0 = rec != nullptr ? ordo::now() : 0;
    s.fill(slot, chunk);
    if (rec != nullptr)
        rec->host(chunk, Step::fill, t0, ordo::now());
}

// Checks h_out[slot] against chunk's closed form; the device commands,
// complete by now, go to the trace too.
bool timed_check(Setup &s, Recorder *rec, int slot, long chunk, cl_event up, cl_event k,
                 cl_event dn, int up_lane, int k_lane, int dn_lane) {
    int64_t t0 = rec != nullptr ? ordo::now() : 0;
    bool ok = s.check(slot, chunk);
    if (rec != nullptr) {
        rec->host(chunk, Step::check, t0, ordo::now());
        rec->command(up_lane, chunk, Step::upload, up);
        rec->command(k_lane, chunk, Step::compute, k);
        rec->command(dn_lane, chunk, Step::download, dn);
    }
    return ok;
}

// ---------------------------------------------------------------------------
// Pipelined: ordo orders the chunks. One host thread runs a coroutine per
// chunk on a run loop; a bounded job queue keeps at most `inflight` chunks
// between arrival and check.

struct Pipeline {
    Pipeline(Setup &setup, Recorder *recorder) : s(setup), rec(recorder) {}
    Setup &s;
    Recorder *rec;
    ordo::RunLoop loop;
    ordo::Executor ex = loop.executor();
    long mismatches = 0;
    ordo::Resource h_in[2] = {ordo::Resource(nullptr, "h_in[0]"),
                              ordo::Resource(nullptr, "h_in[1]")};
    ordo::Resource d_in[2] = {ordo::Resource(nullptr, "d_in[0]"),
                              ordo::Resource(nullptr, "d_in[1]")};
    ordo::Resource d_out[2] = {ordo::Resource(nullptr, "d_out[0]"),
                               ordo::Resource(nullptr, "d_out[1]")};
    ordo::Resource h_out[2] = {ordo::Resource(nullptr, "h_out[0]"),
                               ordo::Resource(nullptr, "h_out[1]")};
};

struct ChunkTickets {
    ordo::Ticket h_in, d_in, d_out, h_out;
    ordo::Promise done; // the chunk's job
};

ordo::Task run_chunk(Pipeline &p, long i, ChunkTickets tickets) {
    // Locals, not parameters: if a step throws they are dropped while the
    // exception propagates, which fails the successors' grants at once.
    ordo::Ticket h_in = std::move(tickets.h_in), d_in = std::move(tickets.d_in);
    ordo::Ticket d_out = std::move(tickets.d_out), h_out = std::move(tickets.h_out);
    ordo::Promise done = std::move(tickets.done);
    Setup &s = p.s;
    const int slot = static_cast<int>(i & 1);

    // The host input is refilled once the upload that last read it has
    // completed: a host wait for the grant and its events.
    co_await ordo::completed(h_in, p.ex);
    timed_fill(s, p.rec, slot, i);

    // The upload waits on the device for the kernel that last read d_in.
    std::vector<cl::Event> after = co_await ordo::granted(d_in, p.ex);
    cl::Event up;
    enqueue_upload(s, slot, static_cast<cl_uint>(after.size()), raw_events(after), &up());
    h_in.ready({up()});

    // The kernel waits for the upload and for the download that last read d_out.
    after = co_await ordo::granted(d_out, p.ex);
    after.push_back(up);
    cl::Event k;
    enqueue_compute(s, slot, static_cast<cl_uint>(after.size()), raw_events(after), &k());
    d_in.ready({k()});

    // The download overwrites h_out once the chunk before has been checked.
    co_await ordo::granted(h_out, p.ex);
    cl::Event dn;
    enqueue_download(s, slot, 1, &k(), &dn());
    d_out.ready({dn()});

    // Host wait for the download, then the check.
    co_await ordo::resume_on(ordo::wait_events_async(std::span<const cl_event>(&dn(), 1)), p.ex);
    if (!timed_check(s, p.rec, slot, i, up(), k(), dn(), kUploadLane, kComputeLane, kDownloadLane))
        ++p.mismatches;
    h_out.ready();
    done.complete();
}

// Drops finished chunks; rethrows what escaped the first that failed.
void reap(std::deque<ordo::Task> &tasks) {
    for (const ordo::Task &t : tasks)
        if (t.done())
            t.get();
    while (!tasks.empty() && tasks.front().done())
        tasks.pop_front();
}

} // namespace

RunResult run_pipelined(Setup &s, long count, int inflight, Recorder *rec, Progress *progress) {
    Pipeline p(s, rec);
    ordo::JobQueue jobs(static_cast<size_t>(inflight));
    std::deque<ordo::Task> tasks; // destroyed before the run loop
    auto all_done = [&] {
        for (const ordo::Task &t : tasks)
            if (!t.done())
                return false;
        return true;
    };
    try {
        for (long i = 0; i < count; ++i) {
            // Room for one more chunk: run the chunks in flight meanwhile.
            p.loop.run([&] { return jobs.backlog() < static_cast<size_t>(inflight); });
            reap(tasks);
            jobs.clean();
            // The chunk arrives and takes all its tickets, in chunk order,
            // before waiting on anything.
            const int slot = static_cast<int>(i & 1);
            ChunkTickets t{p.h_in[slot].acquire(), p.d_in[slot].acquire(), p.d_out[slot].acquire(),
                           p.h_out[slot].acquire(), ordo::Promise()};
            if (!jobs.try_add(t.done.future())) // only this thread adds, and there was room
                throw std::logic_error("the job queue refused a chunk after it had room");
            tasks.push_back(run_chunk(p, i, std::move(t)));
            if (progress != nullptr)
                progress->tick(i);
        }
        p.loop.run([&] { return jobs.backlog() == 0; });
        reap(tasks);
        jobs.finish_until(0, ordo::now());
    } catch (...) {
        // The chunks still in flight fail in turn (their tickets pass the
        // failure on); let them finish before the run loop goes away.
        p.loop.run_until(all_done, ordo::deadline_after(std::chrono::seconds(30)));
        throw;
    }
    return {p.mismatches};
}

// ---------------------------------------------------------------------------
// Serial: one queue, blocking copies, a host wait after every step.

RunResult run_serial(Setup &s, long count, Recorder *rec, Progress *progress) {
    RunResult result;
    cl_command_queue q = s.serial;
    size_t global = static_cast<size_t>(s.elements);
    for (long i = 0; i < count; ++i) {
        const int slot = static_cast<int>(i & 1);
        cl::Event up, k, dn;
        timed_fill(s, rec, slot, i);
        check_cl(clEnqueueWriteBuffer(q, s.d_in[slot], CL_TRUE, 0, s.bytes, s.h_in[slot], 0,
                                      nullptr, rec != nullptr ? &up() : nullptr),
                 "clEnqueueWriteBuffer");
        check_cl(clEnqueueNDRangeKernel(q, s.kernel[slot], 1, nullptr, &global, nullptr, 0, nullptr,
                                        rec != nullptr ? &k() : nullptr),
                 "clEnqueueNDRangeKernel");
        check_cl(clFinish(q), "clFinish");
        check_cl(clEnqueueReadBuffer(q, s.d_out[slot], CL_TRUE, 0, s.bytes, s.h_out[slot], 0,
                                     nullptr, rec != nullptr ? &dn() : nullptr),
                 "clEnqueueReadBuffer");
        if (!timed_check(s, rec, slot, i, up(), k(), dn(), 1, 1, 1))
            ++result.mismatches;
        if (progress != nullptr)
            progress->tick(i);
    }
    return result;
}

// ---------------------------------------------------------------------------
// Raw: the pipelined schedule chained by hand with cl_events on one host
// thread, no ordering library. Chunk j's events are needed until chunk j+2
// has enqueued its commands, and chunk j is checked before chunk j+2's
// download at the latest, so four records suffice.

RunResult run_raw(Setup &s, long count, int inflight, Recorder *rec, Progress *progress) {
    struct Record {
        cl::Event up, k, dn;
    };
    Record ring[4];
    RunResult result;
    long next_check = 0;
    auto check_one = [&] {
        const long j = next_check++;
        Record &r = ring[j & 3];
        check_cl(clWaitForEvents(1, &r.dn()), "clWaitForEvents");
        if (!timed_check(s, rec, static_cast<int>(j & 1), j, r.up(), r.k(), r.dn(), kUploadLane,
                         kComputeLane, kDownloadLane))
            ++result.mismatches;
    };
    for (long i = 0; i < count; ++i) {
        while (i - next_check >= inflight)
            check_one();
        const int slot = static_cast<int>(i & 1);
        Record &r = ring[i & 3];
        Record *before = i >= 2 ? &ring[(i - 2) & 3] : nullptr; // chunk i-2, same slot
        r = Record{};
        // h_in[slot]: the upload that last read it has completed.
        if (before != nullptr)
            check_cl(clWaitForEvents(1, &before->up()), "clWaitForEvents");
        timed_fill(s, rec, slot, i);
        // d_in[slot]: after the kernel that last read it.
        enqueue_upload(s, slot, before != nullptr ? 1 : 0,
                       before != nullptr ? &before->k() : nullptr, &r.up());
        // d_out[slot]: after the download that last read it.
        cl_event after[2] = {r.up(), before != nullptr ? before->dn() : nullptr};
        enqueue_compute(s, slot, before != nullptr ? 2 : 1, after, &r.k());
        // h_out[slot]: once chunk i-2 has been checked.
        while (next_check <= i - 2)
            check_one();
        enqueue_download(s, slot, 1, &r.k(), &r.dn());
        if (progress != nullptr)
            progress->tick(i);
    }
    while (next_check < count)
        check_one();
    return result;
}

} // namespace pipeline
