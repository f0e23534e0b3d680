#include "callback_scope.hpp"

namespace ordo::detail {
namespace {

// The innermost scope on this thread (callbacks nest when a callback sets a
// user event whose callbacks the runtime runs at once). Initial-exec TLS:
// one instruction to reach, even in a shared library.
CallbackScope *&innermost() noexcept {
    static thread_local CallbackScope *scope __attribute__((tls_model("initial-exec"))) = nullptr;
    return scope;
}

} // namespace

CallbackScope::CallbackScope(cl_event event) noexcept : event_(event), outer_(innermost()) {
    innermost() = this;
}

CallbackScope::~CallbackScope() {
    innermost() = outer_;
}

bool CallbackScope::active() noexcept {
    return innermost() != nullptr;
}

bool CallbackScope::inside_callback_of(cl_event e) noexcept {
    for (const CallbackScope *s = innermost(); s != nullptr; s = s->outer_)
        if (s->event_ == e)
            return true;
    return false;
}

} // namespace ordo::detail
