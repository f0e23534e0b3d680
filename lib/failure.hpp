// Failure: the one error type of the core. An immutable status (a negative
// ordo_status or an application's), message and OpenCL status, shared by
// reference: by every future a failure travels through, and by the Error
// exception that carries a refused call's failure to the C layer.
#pragma once

#include "ref.hpp"

#include <ordo/ordo.h>

#include <string>

namespace ordo::detail {

template <class T>
class Immortal;

class Failure final : public RefCounted<Failure> {
public:
    // Throws std::bad_alloc (also when the test hook says so).
    static Ref<Failure> make(int status, std::string message, cl_int cl_status = 0);
    // Never allocates: the one out-of-memory failure.
    static Ref<Failure> out_of_memory() noexcept;

    int status() const noexcept { return status_; }
    cl_int cl_status() const noexcept { return cl_status_; }
    const std::string &message() const noexcept { return message_; }

private:
    friend class RefCounted<Failure>;
    friend class Error;
    friend class Immortal<Failure>;
    Failure(int status, std::string message, cl_int cl_status)
        : status_(status), cl_status_(cl_status), message_(std::move(message)) {}
    ~Failure() = default;

    const int status_;
    const cl_int cl_status_;
    const std::string message_;
};

} // namespace ordo::detail
