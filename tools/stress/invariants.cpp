// The order and mutual-exclusion invariants: ticket positions, the frontier
// of released positions, and the holders of each resource.
#include "stress.hpp"

namespace ordo_stress {

const char *mode_name(Mode m) {
    return m == Mode::kShared ? "shared" : "exclusive";
}

uint64_t advance_frontier(Resource &r) {
    uint64_t f = r.frontier.load(std::memory_order_acquire);
    while (r.released.test(f)) {
        if (r.frontier.compare_exchange_weak(f, f + 1, std::memory_order_acq_rel))
            ++f;
    }
    return f;
}

void take_position(Ticket &t) {
    Resource &r = *t.res;
    t.tracked = r.tracked;
    if (!r.tracked)
        return;
    t.position = r.next_position++;
    if (t.mode == Mode::kExclusive) {
        t.need = t.position; // every earlier ticket
        r.exclusive_end = t.position + 1;
    } else {
        // Every ticket up to the last exclusive one; the shared tickets
        // between it and this one are granted together with this one. (A
        // group of more than 65,535 shared tickets, which this tool never
        // builds, would also wait for the group before it.)
        t.need = r.exclusive_end;
    }
    r.acquired.store(r.next_position, std::memory_order_release);
    model_acquire(t);
}

bool predecessors_released(Ticket &t) {
    return !t.tracked || advance_frontier(*t.res) >= t.need;
}

namespace {

void enter(Ticket &t) {
    Resource &r = *t.res;
    // seq_cst on both sides: of two holders entering at once, at least
    // one sees the other.
    if (t.mode == Mode::kExclusive) {
        int writers = r.writers.fetch_add(1);
        int readers = r.readers.load();
        if (writers != 0 || readers != 0)
            violation("resource %d: exclusive ticket %llu granted while %d exclusive and %d "
                      "shared holders use the resource",
                      r.index, static_cast<unsigned long long>(t.position), writers, readers);
    } else {
        int readers = r.readers.fetch_add(1);
        int writers = r.writers.load();
        if (writers != 0)
            violation("resource %d: shared ticket %llu granted while an exclusive holder uses "
                      "the resource",
                      r.index, static_cast<unsigned long long>(t.position));
        if (readers > 0)
            g_count.shared_overlaps.fetch_add(1, std::memory_order_relaxed);
    }
}

void leave(Ticket &t) {
    if (t.mode == Mode::kExclusive)
        t.res->writers.fetch_sub(1);
    else
        t.res->readers.fetch_sub(1);
}

} // namespace

void observe_grant(Ticket &t, const char *how) {
    g_count.grants_seen.fetch_add(1, std::memory_order_relaxed);
    if (!predecessors_released(t))
        violation("resource %d: %s ticket %llu granted (%s) before ticket %llu was released",
                  t.res->index, mode_name(t.mode), static_cast<unsigned long long>(t.position), how,
                  static_cast<unsigned long long>(t.res->frontier.load()));
    int expected = kHeld;
    if (t.state.compare_exchange_strong(expected, kEntering, std::memory_order_acq_rel)) {
        enter(t);
        t.state.store(kInUse, std::memory_order_release);
    }
}

bool begin_release(Ticket &t) {
    int s = t.state.load(std::memory_order_acquire);
    for (;;) {
        if (s == kReleased)
            return false;
        if (s == kEntering) { // a callback is between its two steps
            std::this_thread::yield();
            s = t.state.load(std::memory_order_acquire);
            continue;
        }
        if (t.state.compare_exchange_weak(s, kReleased, std::memory_order_acq_rel))
            break;
    }
    if (s == kInUse)
        leave(t);
    if (t.tracked)
        t.res->released.set(t.position);
    return true;
}

} // namespace ordo_stress
