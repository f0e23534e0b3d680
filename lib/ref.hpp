// Intrusive reference counting: Ref<T> holds one reference to a T that
// provides retain() and release(); RefCounted<T> is the count most such T
// derive from.
#pragma once

#include <atomic>
#include <cstdint>
#include <utility>

namespace ordo::detail {

// The count starts at one, the creator's (adopted by Ref<T>::adopt). The
// last release calls T's destroy(): by default `delete`; a T that lives in
// a pool or tears down in steps declares its own. Memory ordering: a
// release is acq_rel, so everything done with the object happens-before
// its destruction; a retain is relaxed (the caller already holds one).
template <class T>
class RefCounted {
public:
    void retain() const noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
    void release() const noexcept {
        if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1)
            static_cast<T *>(const_cast<RefCounted *>(this))->destroy();
    }
    // Adds a reference unless the last one is already gone (for a reader
    // that found the object through a table, not through a reference).
    bool try_retain() const noexcept {
        uint32_t n = refs_.load(std::memory_order_relaxed);
        while (n != 0)
            if (refs_.compare_exchange_weak(n, n + 1, std::memory_order_acquire,
                                            std::memory_order_relaxed))
                return true;
        return false;
    }

    // The caller's reference is the only one (acquire: every other
    // release happened before).
    bool sole_reference() const noexcept { return refs_.load(std::memory_order_acquire) == 1; }

protected:
    RefCounted() noexcept = default;
    explicit RefCounted(uint32_t initial) noexcept : refs_(initial) {}
    ~RefCounted() = default;
    RefCounted(const RefCounted &) = delete;
    RefCounted &operator=(const RefCounted &) = delete;
    void destroy() noexcept { delete static_cast<T *>(this); }

    mutable std::atomic<uint32_t> refs_{1};
};

template <class T>
class Ref {
public:
    Ref() noexcept = default;
    Ref(std::nullptr_t) noexcept {}
    // Adds a reference.
    explicit Ref(T *p) noexcept : p_(p) {
        if (p_ != nullptr)
            p_->retain();
    }
    // Takes over a reference the caller owns.
    static Ref adopt(T *p) noexcept {
        Ref r;
        r.p_ = p;
        return r;
    }
    Ref(const Ref &o) noexcept : Ref(o.p_) {}
    Ref(Ref &&o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
    template <class U>
    Ref(Ref<U> &&o) noexcept : p_(o.detach()) {}
    template <class U>
    Ref(const Ref<U> &o) noexcept : Ref(o.get()) {}
    Ref &operator=(Ref o) noexcept {
        std::swap(p_, o.p_);
        return *this;
    }
    ~Ref() {
        if (p_ != nullptr)
            p_->release();
    }

    T *get() const noexcept { return p_; }
    T *operator->() const noexcept { return p_; }
    T &operator*() const noexcept { return *p_; }
    explicit operator bool() const noexcept { return p_ != nullptr; }
    // Gives up ownership of the reference without dropping it.
    T *detach() noexcept { return std::exchange(p_, nullptr); }
    void reset() noexcept { Ref().swap(*this); }
    void swap(Ref &o) noexcept { std::swap(p_, o.p_); }

private:
    T *p_ = nullptr;
};

} // namespace ordo::detail
