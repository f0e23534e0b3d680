// Clang's thread-safety analysis (-Wthread-safety, on in the clang builds):
// the annotations, and the core's mutexes and locks annotated with them.
// Every field a mutex guards says so with ORDO_GUARDED_BY; every function
// that needs a mutex held says so with ORDO_REQUIRES. GCC ignores them.
#pragma once

#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define ORDO_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define ORDO_THREAD_ANNOTATION(x)
#endif

#define ORDO_CAPABILITY(x) ORDO_THREAD_ANNOTATION(capability(x))
#define ORDO_SCOPED_CAPABILITY ORDO_THREAD_ANNOTATION(scoped_lockable)
#define ORDO_GUARDED_BY(x) ORDO_THREAD_ANNOTATION(guarded_by(x))
#define ORDO_PT_GUARDED_BY(x) ORDO_THREAD_ANNOTATION(pt_guarded_by(x))
#define ORDO_REQUIRES(...) ORDO_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define ORDO_EXCLUDES(...) ORDO_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define ORDO_ACQUIRE(...) ORDO_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define ORDO_RELEASE(...) ORDO_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define ORDO_NO_THREAD_SAFETY_ANALYSIS ORDO_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace ordo::detail {

// std::mutex, annotated. native() is for condition variables (UniqueLock).
class ORDO_CAPABILITY("mutex") Mutex {
public:
    void lock() ORDO_ACQUIRE() { m_.lock(); }
    void unlock() ORDO_RELEASE() { m_.unlock(); }
    std::mutex &native() noexcept { return m_; }

private:
    std::mutex m_;
};

// A scope that holds a mutex (Mutex, or SmallMutex of futex.hpp).
template <class M>
class ORDO_SCOPED_CAPABILITY Lock {
public:
    explicit Lock(M &m) ORDO_ACQUIRE(m) : m_(m) { m_.lock(); }
    ~Lock() ORDO_RELEASE() { m_.unlock(); }
    Lock(const Lock &) = delete;
    Lock &operator=(const Lock &) = delete;

private:
    M &m_;
};

// A scope that holds a Mutex and may wait on a condition variable with it,
// or give it up early (unlock) and take it again (lock).
class ORDO_SCOPED_CAPABILITY UniqueLock {
public:
    explicit UniqueLock(Mutex &m) ORDO_ACQUIRE(m) : lock_(m.native()) {}
    ~UniqueLock() ORDO_RELEASE() {}
    UniqueLock(const UniqueLock &) = delete;
    UniqueLock &operator=(const UniqueLock &) = delete;

    void lock() ORDO_ACQUIRE() { lock_.lock(); }
    void unlock() ORDO_RELEASE() { lock_.unlock(); }
    // For std::condition_variable's waits (they unlock and lock again).
    std::unique_lock<std::mutex> &native() noexcept { return lock_; }

private:
    std::unique_lock<std::mutex> lock_;
};

} // namespace ordo::detail
