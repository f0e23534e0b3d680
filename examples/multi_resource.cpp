// Multi-resource tickets: two threads each need the input AND the output
// buffer, and name them in opposite orders. Taking the two places one after
// the other can deadlock (each thread first in one queue, second in the
// other); ordo::MultiTicket takes both places at once, so it cannot.
#include "common.hpp"

#include <cstdio>
#include <stdexcept>
#include <thread>

int main() {
    ordo::Resource input(nullptr, "input"), output(nullptr, "output");
    int rounds[2] = {0, 0};
    auto worker = [&](int id) {
        for (int i = 0; i < 1000; ++i) {
            ordo::MultiTicket both =
                id == 0 ? ordo::MultiTicket({input, output}) : ordo::MultiTicket({output, input});
            if (!both.wait_until(ordo::deadline_after(std::chrono::seconds(10))))
                throw std::runtime_error("deadlock: no grant within 10 s");
            ++rounds[id];
            both.ready();
        }
    };
    std::thread a(worker, 0), b(worker, 1);
    a.join();
    b.join();
    std::printf("%d + %d rounds holding both buffers, no deadlock\n", rounds[0], rounds[1]);
    return rounds[0] + rounds[1] == 2000 ? 0 : 1;
}
