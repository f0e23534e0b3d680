// Shared and exclusive tickets: a writer fills a buffer, three readers use it
// side by side (their shared tickets are granted together), then the next
// writer waits for all three.
#include "common.hpp"

#include <atomic>
#include <cstdio>
#include <thread>

int main() {
    ordo::Resource buffer(nullptr, "frame buffer");
    ordo::Ticket writer = buffer.acquire();
    ordo::Ticket readers[3] = {buffer.acquire_shared(), buffer.acquire_shared(),
                               buffer.acquire_shared()};
    ordo::Ticket next_writer = buffer.acquire();

    std::atomic<int> reading{0}, most{0};
    std::thread threads[3];
    for (int i = 0; i < 3; ++i) {
        threads[i] = std::thread([&, i] {
            readers[i].wait();
            int now = ++reading;
            for (int seen = most.load(); now > seen && !most.compare_exchange_weak(seen, now);)
                ;
            // Hold the buffer until all three readers are in: they were granted together.
            while (most.load() < 3)
                std::this_thread::yield();
            --reading;
            readers[i].ready();
        });
    }
    writer.wait();
    std::printf("writer: filling the buffer\n");
    writer.ready();
    for (auto &t : threads)
        t.join();
    std::printf("readers: %d held the buffer at once\n", most.load());
    next_writer.wait();
    std::printf("next writer: granted after every reader released\n");
    next_writer.ready();
    return most.load() == 3 ? 0 : 1;
}
