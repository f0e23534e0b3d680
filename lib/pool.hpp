// Type-stable storage for the objects that C handles point at.
//
// Each object lives in a Slot whose first word, the tag, belongs to the slot
// rather than to the object: it says whether a live C handle of a given kind
// points here. Freed slots go back to a free list and keep their (dead) tag,
// so a stale or wrong-kind handle reads a tag that does not match instead of
// freed memory. Only when the free list is over its cap is a slot returned to
// the system; from then on a stale handle to it can no longer be caught. That
// is why handle validation is documented as best-effort.
//
// A thread keeps a small cache of free slots, so the hot path (a ticket per
// acquire) allocates without a lock.
#pragma once

#include "error.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <new>
#include <utility>

namespace ordo::detail {

inline constexpr uint32_t kDeadTag = 0xdead0000u;

template <class T>
class Pool {
public:
    // While a slot is free, its storage holds the free list's link.
    struct Slot {
        std::atomic<uint32_t> tag{kDeadTag};
        alignas(T) unsigned char storage[sizeof(T)];
    };
    static_assert(sizeof(T) >= sizeof(Slot *));

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

    // Destroys the object; its slot goes back to the pool with its tag as is.
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

private:
    static Slot *next_of(const Slot *s) noexcept {
        Slot *next;
        std::memcpy(&next, s->storage, sizeof next);
        return next;
    }
    static void set_next(Slot *s, Slot *next) noexcept {
        std::memcpy(s->storage, &next, sizeof next);
    }

    static constexpr size_t kThreadCache = 64;
    static constexpr size_t kGlobalCap = 4096;

    struct Global {
        std::mutex mutex;
        Slot *head = nullptr; // guarded by mutex
        size_t count = 0;     // guarded by mutex
    };
    // Immortal: objects may be freed by threads that outlive static destruction.
    static Global &global() {
        static Global *g = new Global;
        return *g;
    }

    // The thread's cache. Plain data in initial-exec TLS, so that reaching
    // it costs one instruction even in a shared library (a few hundred bytes
    // of static TLS in all, which dlopen can always provide). A flusher with
    // a destructor is registered the first time the cache holds a slot: at
    // thread exit it hands the slots to the global list.
    struct Cache {
        Slot *head;
        size_t count;
        bool flusher;
        bool dead; // after thread exit began: bypass the cache
    };
    static Cache &cache() noexcept {
        static thread_local Cache c
            __attribute__((tls_model("initial-exec"))) = {nullptr, 0, false, false};
        return c;
    }
    struct Flusher {
        ~Flusher() {
            Cache &c = cache();
            c.dead = true;
            while (c.head != nullptr) {
                Slot *s = std::exchange(c.head, next_of(c.head));
                give_global(s);
            }
            c.count = 0;
        }
    };
    static void register_flusher(Cache &c) {
        static thread_local Flusher flusher;
        (void)&flusher;
        c.flusher = true;
    }

    static Slot *take() {
        maybe_fail_allocation();
        Cache &c = cache();
        if (c.dead) [[unlikely]]
            return new Slot;
        if (c.head != nullptr) {
            --c.count;
            return std::exchange(c.head, next_of(c.head));
        }
        // The cache is about to hold slots: make sure they go back at thread
        // exit (a thread may take slots without ever freeing one itself).
        if (!c.flusher) [[unlikely]] {
            try {
                register_flusher(c);
            } catch (...) {
                c.dead = true;
                return new Slot;
            }
        }
        {
            Global &g = global();
            std::lock_guard lock(g.mutex);
            // Refill half a cache at once to amortise the lock.
            while (g.head != nullptr && c.count < kThreadCache / 2) {
                Slot *s = std::exchange(g.head, next_of(g.head));
                --g.count;
                set_next(s, c.head);
                c.head = s;
                ++c.count;
            }
        }
        if (c.head != nullptr) {
            --c.count;
            return std::exchange(c.head, next_of(c.head));
        }
        return new Slot;
    }

    static void give(Slot *slot) noexcept {
        Cache &c = cache();
        if (!c.flusher && !c.dead) [[unlikely]] {
            try {
                register_flusher(c);
            } catch (...) {
                c.dead = true; // cannot register: never cache on this thread
            }
        }
        if (!c.dead && c.count < kThreadCache) {
            set_next(slot, c.head);
            c.head = slot;
            ++c.count;
            return;
        }
        give_global(slot);
    }

    static void give_global(Slot *slot) noexcept {
        Global &g = global();
        {
            std::lock_guard lock(g.mutex);
            if (g.count < kGlobalCap) {
                set_next(slot, g.head);
                g.head = slot;
                ++g.count;
                return;
            }
        }
        delete slot;
    }
};

} // namespace ordo::detail
