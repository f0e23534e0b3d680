// Intrusive reference counting. T provides retain() and release().
#pragma once

#include <utility>

namespace ordo::detail {

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
