// Internals: the service thread's polling (lib/service.hpp). Objects
// watched a little apart fall due a little apart; the thread polls those
// due close together in one round, so the rounds grow with the time the
// watches span, not with their number.
#include "../../lib/clock.hpp"
#include "../../lib/service.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

using namespace ordo::detail;

namespace {

// Done after its first poll. The service holds references while it
// watches and polls; once the probe was polled and the last of them is
// dropped, the service is done with it and the test is told (it owns the
// probes and outlives that).
class Probe final : public Pollable {
public:
    Probe(int &finished, std::mutex &m, std::condition_variable &cv)
        : finished_(finished), m_(m), cv_(cv) {}
    void retain() noexcept override { refs_.fetch_add(1, std::memory_order_relaxed); }
    void release() noexcept override {
        if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1 &&
            polled_.load(std::memory_order_acquire)) {
            std::lock_guard lock(m_);
            ++finished_;
            cv_.notify_all();
        }
    }
    bool poll() noexcept override {
        polled_.store(true, std::memory_order_release);
        return false; // the service unwatches it after this round
    }
    bool buried_and_quiet() const noexcept override { return true; }

private:
    std::atomic<int> refs_{0};
    std::atomic<bool> polled_{false};
    int &finished_; // guarded by m_
    std::mutex &m_;
    std::condition_variable &cv_;
};

} // namespace

TEST(Service, WatchesAFewMicrosecondsApartSharePollingRounds) {
    constexpr int kProbes = 400;
    constexpr int64_t kApartNs = 50'000; // 20 ms in all
    int finished = 0;                    // guarded by m
    std::mutex m;
    std::condition_variable cv;
    std::vector<std::unique_ptr<Probe>> probes;
    for (int i = 0; i < kProbes; ++i)
        probes.push_back(std::make_unique<Probe>(finished, m, cv));
    Service &service = Service::instance();
    uint64_t rounds_before = service.polling_rounds();
    int64_t first = now_ns();
    for (auto &p : probes) {
        // Spaced by the clock, not by sleeping: each falls due on its own.
        int64_t next = now_ns() + kApartNs;
        service.watch(p.get());
        while (now_ns() < next) {
        }
    }
    int64_t span = now_ns() - first; // more than 20 ms on a loaded machine
    bool all = false;
    {
        std::unique_lock lock(m);
        all = cv.wait_for(lock, std::chrono::seconds(10), [&] { return finished == kProbes; });
    }
    if (!all) {
        // The service may still hold some: they must outlive it.
        for (auto &p : probes)
            (void)p.release();
        FAIL() << finished << " of " << kProbes << " polled and let go within 10 s";
    }
    uint64_t rounds = service.polling_rounds() - rounds_before;
    // Batched: a timed round comes at least 0.5 ms after the previous one,
    // so the watches' span takes at most span / 0.5 ms + 1 rounds (and a few
    // for other tests' leftovers): 41 for 20 ms. A round per due time came
    // as fast as the thread could loop: hundreds.
    EXPECT_LE(rounds, static_cast<uint64_t>(span / 500'000) + 20) << "over " << span << " ns";
    EXPECT_GE(rounds, 1u);
}
