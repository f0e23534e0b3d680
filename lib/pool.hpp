// Type-stable storage for the objects that C handles point at.
//
// Each object lives in a Slot of an arena that is never given back to the
// system, so a stale handle always reads slot memory, never freed memory.
// A slot carries its index (fixed) and a generation: odd while a live C
// handle refers to the slot, even otherwise. Publishing a handle makes the
// generation odd, retiring it makes it even, so every reuse of a slot for a
// new handle gives it a generation that no earlier handle carried; the C
// layer puts the generation in the handle's value and checks it on every
// call (capi/handles.hpp). A handle is detected as stale until its slot has
// been reused 2^31 times.
//
// Free slots are reused first in, first out: a thread keeps a small FIFO
// cache (the hot path allocates without a lock) and hands its oldest slots
// to one global FIFO; fresh slots are carved from arenas that grow
// geometrically (256 slots, then 512, ...).
#pragma once

#include "error.hpp"

#include "immortal.hpp"
#include "thread_annotations.hpp"
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <new>
#include <utility>

namespace ordo::detail {

template <class T>
class Pool {
public:
    // While a slot is free, the start of its storage holds the free list's link.
    struct Slot {
        std::atomic<uint32_t> generation{0}; // odd: published as a live handle
        uint32_t index = 0;                  // fixed: the slot's place in the arenas
        alignas(T) unsigned char storage[sizeof(T)];
    };
    static_assert(sizeof(T) >= sizeof(Slot *));

    // Slot indices fit in this many bits (the C layer's handle encoding).
    static constexpr int kIndexBits = 28;

    template <class... Args>
    static T *create(Args &&...args) {
        Slot *slot = take();
        try {
            return new (slot->storage) T(std::forward<Args>(args)...);
        } catch (...) {
            give(slot);
            throw;
        }
    }

    // Destroys the object; its slot goes back to the pool.
    static void destroy(T *object) noexcept {
        Slot *slot = slot_of(object);
        object->~T();
        give(slot);
    }

    static Slot *slot_of(T *object) noexcept {
        return reinterpret_cast<Slot *>(reinterpret_cast<unsigned char *>(object) -
                                        offsetof(Slot, storage));
    }
    static T *object_of(Slot *slot) noexcept {
        return std::launder(reinterpret_cast<T *>(slot->storage));
    }

    // The slot with this index, or nullptr if no arena holds it (an index
    // that never belonged to a slot).
    static Slot *slot_at(uint32_t index) noexcept {
        uint32_t arena = arena_of(index);
        if (arena >= kArenas)
            return nullptr;
        Slot *base = arenas()[arena].load(std::memory_order_acquire);
        if (base == nullptr)
            return nullptr;
        return base + (index - first_index(arena));
    }

private:
    static constexpr uint32_t kFirstArenaShift = 8; // 256 slots
    static constexpr uint32_t kArenas = kIndexBits - kFirstArenaShift;
    static constexpr size_t kThreadCache = 64;

    // Arena k holds 256 << k slots, indices from 256 * (2^k - 1).
    static uint32_t arena_of(uint32_t index) noexcept {
        return static_cast<uint32_t>(std::bit_width((index >> kFirstArenaShift) + 1u)) - 1u;
    }
    static uint32_t first_index(uint32_t arena) noexcept {
        return ((1u << arena) - 1u) << kFirstArenaShift;
    }
    static uint32_t arena_size(uint32_t arena) noexcept { return 1u << (arena + kFirstArenaShift); }

    // Immortal, like the arenas: objects may be freed by threads that
    // outlive static destruction.
    static std::atomic<Slot *> *arenas() noexcept {
        static std::atomic<Slot *> table[kArenas] = {};
        return table;
    }

    static Slot *next_of(const Slot *s) noexcept {
        Slot *next;
        std::memcpy(&next, s->storage, sizeof next);
        return next;
    }
    static void set_next(Slot *s, Slot *next) noexcept {
        std::memcpy(s->storage, &next, sizeof next);
    }

    // A FIFO of free slots, linked through their storage.
    struct List {
        Slot *head = nullptr;
        Slot *tail = nullptr;
        size_t count = 0;
        void push(Slot *s) noexcept {
            set_next(s, nullptr);
            if (tail != nullptr)
                set_next(tail, s);
            else
                head = s;
            tail = s;
            ++count;
        }
        Slot *pop() noexcept {
            Slot *s = head;
            head = next_of(s);
            if (head == nullptr)
                tail = nullptr;
            --count;
            return s;
        }
    };

    struct Global {
        Mutex mutex;
        List free ORDO_GUARDED_BY(mutex);
        uint32_t arena ORDO_GUARDED_BY(mutex) = 0;  // the arena being carved
        uint32_t carved ORDO_GUARDED_BY(mutex) = 0; // slots handed out from it
        bool arena_ready ORDO_GUARDED_BY(mutex) = false;
    };
    static Global &global() {
        static Immortal<Global> g;
        return g.get();
    }

    // The thread's cache: plain data in initial-exec TLS, so that reaching
    // it costs one instruction even in a shared library. A flusher with a
    // destructor is registered the first time the cache holds a slot: at
    // thread exit it hands the slots to the global list.
    struct Cache {
        List list;
        bool flusher;
        bool dead; // after thread exit began: bypass the cache
    };
    static Cache &cache() noexcept {
        static thread_local Cache c __attribute__((tls_model("initial-exec"))) = {{}, false, false};
        return c;
    }
    struct Flusher {
        ~Flusher() {
            Cache &c = cache();
            c.dead = true;
            Global &g = global();
            Lock lock(g.mutex);
            while (c.list.head != nullptr)
                g.free.push(c.list.pop());
        }
    };
    static void register_flusher(Cache &c) {
        static thread_local Flusher flusher;
        (void)&flusher;
        c.flusher = true;
    }

    // Moves up to n slots to out: free ones first (the oldest), then fresh
    // ones. Throws std::bad_alloc if there are none and no arena can be made.
    static void take_locked(Global &g, List &out, size_t n) ORDO_REQUIRES(g.mutex) {
        while (g.free.head != nullptr && out.count < n)
            out.push(g.free.pop());
        while (out.count < n) {
            if (!g.arena_ready || g.carved == arena_size(g.arena)) {
                if (g.arena_ready) {
                    if (g.arena + 1 >= kArenas) {
                        if (out.count != 0)
                            return;
                        throw std::bad_alloc(); // 2^28 live objects of one kind
                    }
                    ++g.arena;
                    g.carved = 0;
                    g.arena_ready = false;
                }
                if (arenas()[g.arena].load(std::memory_order_relaxed) == nullptr) {
                    uint32_t size = arena_size(g.arena);
                    auto *slots = static_cast<Slot *>(
                        ::operator new(sizeof(Slot) * size, std::align_val_t(alignof(Slot))));
                    for (uint32_t i = 0; i < size; ++i) {
                        Slot *s = new (&slots[i]) Slot;
                        s->index = first_index(g.arena) + i;
                    }
                    arenas()[g.arena].store(slots, std::memory_order_release);
                }
                g.arena_ready = true;
            }
            out.push(arenas()[g.arena].load(std::memory_order_relaxed) + g.carved++);
        }
    }

    // The hot path inline: a slot from the thread's cache.
    static Slot *take() {
        maybe_fail_allocation();
        Cache &c = cache();
        if (c.list.head != nullptr && !c.dead) [[likely]]
            return c.list.pop();
        return take_slow();
    }

    [[gnu::noinline]] static Slot *take_slow() {
        Cache &c = cache();
        if (c.dead) [[unlikely]] {
            List one;
            Global &g = global();
            Lock lock(g.mutex);
            take_locked(g, one, 1);
            return one.pop();
        }
        if (c.list.head != nullptr) [[likely]]
            return c.list.pop();
        // The cache is about to hold slots: make sure they go back at thread
        // exit (a thread may take slots without ever freeing one itself).
        if (!c.flusher) [[unlikely]] {
            try {
                register_flusher(c);
            } catch (...) {
                c.dead = true; // cannot register: never cache on this thread
                return take();
            }
        }
        {
            Global &g = global();
            Lock lock(g.mutex);
            take_locked(g, c.list, kThreadCache / 2); // amortises the lock
        }
        return c.list.pop();
    }

    static void give(Slot *slot) noexcept {
        Cache &c = cache();
        if (c.flusher && !c.dead && c.list.count < kThreadCache) [[likely]] {
            c.list.push(slot);
            return;
        }
        give_slow(slot);
    }

    [[gnu::noinline]] static void give_slow(Slot *slot) noexcept {
        Cache &c = cache();
        if (!c.flusher && !c.dead) [[unlikely]] {
            try {
                register_flusher(c);
            } catch (...) {
                c.dead = true; // cannot register: never cache on this thread
            }
        }
        Global &g = global();
        if (c.dead) [[unlikely]] {
            Lock lock(g.mutex);
            g.free.push(slot);
            return;
        }
        c.list.push(slot);
        if (c.list.count > kThreadCache) {
            // The oldest half goes to the global list, which others reuse.
            Lock lock(g.mutex);
            while (c.list.count > kThreadCache / 2)
                g.free.push(c.list.pop());
        }
    }
};

} // namespace ordo::detail
