// Diagnostics: a pipeline in which one chunk forgets to release. The waiting
// chunk is reported through the log hook with a dump of the queue, the queue
// is dumped on demand, and a Chrome trace of it all is written to
// ordo-trace.json (open it in https://ui.perfetto.dev).
#include "common.hpp"

#include <cstdio>
#include <thread>

int main(int argc, char **argv) {
    const char *trace_path = argc > 1 ? argv[1] : "ordo-trace.json";
    ordo::enable_diagnostics();
    ordo::set_wait_warning(std::chrono::milliseconds(50));
    ordo::trace_start();

    ordo::Resource buffer(nullptr, "d_in[0]");
    ordo::Ticket chunk0 = buffer.acquire(), chunk1 = buffer.acquire();
    chunk0.set_name("chunk 0");
    chunk1.set_name("chunk 1");
    chunk0.wait();

    // chunk 1 waits; chunk 0 "forgets" to release for a while.
    std::thread late([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        std::printf("--- dump while chunk 1 waits ---\n%s", buffer.dump().c_str());
        chunk0.ready();
    });
    chunk1.wait(); // logs a warning with a dump after 50 ms
    chunk1.ready();
    late.join();

    ordo::trace_stop();
    ordo::trace_write(trace_path);
    std::printf("trace written to %s\n", trace_path);
    return 0;
}
