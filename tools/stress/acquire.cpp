// Acquiring: one resource, several at once (ordo_resource_acquire_many), or the next
// of a ring; and refused misuse of the acquiring calls.
#include "stress.hpp"

#include <algorithm>

namespace ordo_stress {

namespace {

// Locks the tracked resources among rs, in index order (each once).
class LockSet {
public:
    explicit LockSet(std::vector<Resource *> rs) : rs_(std::move(rs)) {
        rs_.erase(std::remove_if(rs_.begin(), rs_.end(), [](Resource *r) { return !r->tracked; }),
                  rs_.end());
        std::sort(rs_.begin(), rs_.end(),
                  [](Resource *a, Resource *b) { return a->index < b->index; });
        rs_.erase(std::unique(rs_.begin(), rs_.end()), rs_.end());
        for (Resource *r : rs_)
            r->acquire_mutex.lock();
    }
    ~LockSet() {
        for (auto it = rs_.rbegin(); it != rs_.rend(); ++it)
            (*it)->acquire_mutex.unlock();
    }
    LockSet(const LockSet &) = delete;
    LockSet &operator=(const LockSet &) = delete;

private:
    std::vector<Resource *> rs_;
};

} // namespace

void build_ring(Ring &g, const std::vector<Resource *> &pool, std::mt19937_64 &rng) {
    size_t n = 2 + rng() % 3;
    g.members.clear();
    std::vector<ordo_resource> handles;
    for (size_t k = 0; k < n; ++k) {
        g.members.push_back(pool[rng() % pool.size()]);
        handles.push_back(g.members.back()->handle);
    }
    g.tracked = pool.front()->tracked;
    g.turns = 0;
    expect_status(ordo_ring_create(handles.data(), handles.size(), &g.handle), ORDO_OK,
                  "ordo_ring_create");
}

void Worker::acquire_any() {
    if (holdings() >= static_cast<size_t>(s_.options.hold) + 2)
        return release_any_holding();
    const std::vector<Resource *> &free_or_tracked = s_.free.empty() ? s_.tracked : s_.free;
    switch (roll(16u)) {
    case 0:
        return acquire_many(s_.tracked);
    case 1:
        return acquire_many(free_or_tracked);
    case 2:
        return ring_acquire();
    case 3:
    case 4:
        return acquire_single(free_or_tracked);
    default:
        return acquire_single(s_.tracked);
    }
}

void Worker::count_acquire(const Ticket &t) {
    g_count.acquires.fetch_add(1, std::memory_order_relaxed);
    if (t.mode == Mode::kShared)
        g_count.shared_acquires.fetch_add(1, std::memory_order_relaxed);
    if (!t.tracked)
        g_count.free_acquires.fetch_add(1, std::memory_order_relaxed);
}

void Worker::acquire_single(const std::vector<Resource *> &pool) {
    Resource &r = *pool[roll(pool.size())];
    auto t = std::make_shared<Ticket>();
    t->res = &r;
    t->mode = pick_mode();
    if (roll(64u) == 0)
        misuse_acquire(r);
    int status;
    publish_call(t->mode == Mode::kShared ? "ordo_resource_acquire_shared"
                                          : "ordo_resource_acquire");
    {
        LockSet lock({&r});
        status = t->mode == Mode::kShared ? ordo_resource_acquire_shared(r.handle, &t->handle)
                                          : ordo_resource_acquire(r.handle, &t->handle);
        if (status == ORDO_OK)
            take_position(*t);
    }
    end_wait();
    if (!expect_status(status, ORDO_OK, "ordo_resource_acquire(_shared)"))
        return;
    count_acquire(*t);
    held_.push_back(std::move(t));
}

void Worker::misuse_acquire(Resource &r) {
    ordo_ticket x = nullptr;
    CHECK_STATUS(ordo_resource_acquire_shared(nullptr, &x),
                 check_status_ == ORDO_ERROR_INVALID_HANDLE);
    CHECK_STATUS(ordo_resource_acquire_shared(r.handle, nullptr),
                 check_status_ == ORDO_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ordo_resource_acquire(r.handle, nullptr),
                 check_status_ == ORDO_ERROR_INVALID_ARGUMENT);
    g_count.misuse_refused.fetch_add(3, std::memory_order_relaxed);
}

// 2-3 distinct resources of pool at once. On tracked resources the tool
// holds their acquire mutexes (their positions must be known); on the
// free ones nothing but ordo serialises concurrent calls.
void Worker::acquire_many(const std::vector<Resource *> &pool) {
    if (pool.size() < 2)
        return acquire_single(pool);
    size_t n = std::min<size_t>(2 + roll(2u), pool.size());
    std::vector<Resource *> picked(pool);
    for (size_t k = 0; k < n; ++k)
        std::swap(picked[k], picked[k + roll(picked.size() - k)]);
    picked.resize(n);
    auto m = std::make_unique<Multi>();
    std::vector<ordo_resource> handles;
    std::vector<ordo_mode> modes;
    bool all_exclusive = roll(4u) == 0;
    for (Resource *r : picked) {
        auto t = std::make_shared<Ticket>();
        t->res = r;
        t->mode = all_exclusive ? Mode::kExclusive : pick_mode();
        handles.push_back(r->handle);
        modes.push_back(t->mode == Mode::kShared ? ORDO_SHARED : ORDO_EXCLUSIVE);
        m->parts.push_back(std::move(t));
    }
    bool null_modes = all_exclusive && roll(2u) == 0;
    int status;
    publish_call("ordo_resource_acquire_many");
    {
        LockSet lock(picked);
        if (roll(32u) == 0)
            misuse_acquire_many(handles, modes);
        status = ordo_resource_acquire_many(handles.data(), null_modes ? nullptr : modes.data(), n,
                                            &m->handle);
        if (status == ORDO_OK)
            for (auto &p : m->parts)
                take_position(*p);
    }
    end_wait();
    if (!expect_status(status, ORDO_OK, "ordo_resource_acquire_many"))
        return;
    g_count.multi_acquires.fetch_add(1, std::memory_order_relaxed);
    g_count.multi_parts.fetch_add(static_cast<long>(n), std::memory_order_relaxed);
    for (auto &p : m->parts)
        count_acquire(*p);
    multis_.push_back(std::move(m));
}

// Refused calls take no place (a place taken would never be released,
// and the watchdog would report its successors).
void Worker::misuse_acquire_many(const std::vector<ordo_resource> &handles,
                                 const std::vector<ordo_mode> &modes) {
    ordo_multi_ticket x = nullptr;
    std::vector<ordo_resource> twice(handles);
    twice.insert(twice.begin() + roll(twice.size() + 1), handles[roll(handles.size())]);
    CHECK_STATUS(ordo_resource_acquire_many(twice.data(), nullptr, twice.size(), &x),
                 check_status_ == ORDO_ERROR_INVALID_ARGUMENT);
    std::vector<ordo_mode> bad(modes);
    bad[roll(bad.size())] = static_cast<ordo_mode>(roll(2u) == 0 ? 2 : -1);
    CHECK_STATUS(ordo_resource_acquire_many(handles.data(), bad.data(), handles.size(), &x),
                 check_status_ == ORDO_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ordo_resource_acquire_many(handles.data(), modes.data(), 0, &x),
                 check_status_ == ORDO_ERROR_INVALID_ARGUMENT);
    std::vector<ordo_resource> with_null(handles);
    with_null[roll(with_null.size())] = nullptr;
    CHECK_STATUS(ordo_resource_acquire_many(with_null.data(), modes.data(), with_null.size(), &x),
                 check_status_ == ORDO_ERROR_INVALID_HANDLE);
    CHECK_STATUS(ordo_resource_acquire_many(handles.data(), modes.data(), handles.size(), nullptr),
                 check_status_ == ORDO_ERROR_INVALID_ARGUMENT);
    g_count.misuse_refused.fetch_add(5, std::memory_order_relaxed);
}

// The next resource of a ring, whose turn the tool knows: every use of
// the ring is under its mutex.
void Worker::ring_acquire() {
    if (s_.rings.empty())
        return acquire_single(s_.tracked);
    Ring &g = *s_.rings[roll(s_.rings.size())];
    auto t = std::make_shared<Ticket>();
    t->mode = pick_mode();
    std::lock_guard ring_lock(g.mutex);
    if (roll(64u) == 0) {
        expect_status(ordo_ring_destroy(g.handle), ORDO_OK, "ordo_ring_destroy");
        g.handle = nullptr;
        build_ring(g, g.tracked ? s_.tracked : s_.free, rng_);
    }
    if (roll(16u) == 0)
        misuse_ring(g);
    size_t expected = static_cast<size_t>(g.turns % g.members.size());
    size_t index = SIZE_MAX;
    bool want_index = roll(8u) != 0;
    int status;
    publish_call("ordo_ring_acquire");
    {
        LockSet lock(g.members);
        status =
            ordo_ring_acquire(g.handle, t->mode == Mode::kShared ? ORDO_SHARED : ORDO_EXCLUSIVE,
                              &t->handle, want_index ? &index : nullptr);
        if (status == ORDO_OK) {
            t->res = g.members[expected];
            take_position(*t);
        }
    }
    end_wait();
    if (!expect_status(status, ORDO_OK, "ordo_ring_acquire"))
        return;
    if (want_index && index != expected)
        violation("ring: turn %llu gave resource index %zu, expected %zu",
                  static_cast<unsigned long long>(g.turns), index, expected);
    ++g.turns;
    void *value = nullptr;
    CHECK_STATUS(ordo_ticket_value(t->handle, &value), check_status_ == ORDO_OK);
    if (value != t->res)
        violation("ring: a ticket on resource %d carries the value of another resource",
                  t->res->index);
    g_count.ring_acquires.fetch_add(1, std::memory_order_relaxed);
    count_acquire(*t);
    held_.push_back(std::move(t));
}

// Refused calls take no turn: the next acquire checks the index.
void Worker::misuse_ring(Ring &g) {
    ordo_ticket x = nullptr;
    size_t index = 0;
    CHECK_STATUS(
        ordo_ring_acquire(g.handle, static_cast<ordo_mode>(roll(2u) == 0 ? 2 : -1), &x, &index),
        check_status_ == ORDO_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ordo_ring_acquire(g.handle, ORDO_EXCLUSIVE, nullptr, &index),
                 check_status_ == ORDO_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ordo_ring_acquire(nullptr, ORDO_EXCLUSIVE, &x, &index),
                 check_status_ == ORDO_ERROR_INVALID_HANDLE);
    size_t n = 0;
    CHECK_STATUS(ordo_ring_size(g.handle, &n), check_status_ == ORDO_OK);
    if (n != g.members.size())
        violation("ordo_ring_size gave %zu, expected %zu", n, g.members.size());
    size_t i = roll(g.members.size());
    void *value = nullptr;
    CHECK_STATUS(ordo_ring_value(g.handle, i, &value), check_status_ == ORDO_OK);
    if (value != g.members[i])
        violation("ordo_ring_value(%zu) gave another resource's value", i);
    CHECK_STATUS(ordo_ring_value(g.handle, g.members.size() + roll(3u), &value),
                 check_status_ == ORDO_ERROR_INVALID_ARGUMENT);
    g_count.misuse_refused.fetch_add(4, std::memory_order_relaxed);
}

} // namespace ordo_stress
