#include "grant_future.hpp"

#include "error.hpp"

namespace ordo::detail {

Ref<Future> GrantFuture::make(Ref<Ticket> ticket, Future &grant) {
    maybe_fail_allocation();
    auto mirror = Ref<GrantFuture>::adopt(new GrantFuture(std::move(ticket)));
    mirror->retain(); // held by the callback
    mirror->fn = on_grant;
    grant.on_complete(mirror.get());
    return mirror;
}

void GrantFuture::on_grant(Callback *cb, Future &grant) noexcept {
    auto *self = static_cast<GrantFuture *>(cb);
    Outcome outcome;
    bool copied = true;
    try {
        outcome = grant.copy_outcome();
    } catch (...) {
        outcome.failure = Failure::out_of_memory();
        copied = false;
    }
    if (self->begin_completion()) {
        if (copied)
            self->ticket_->mark_seen(); // before anyone can see this future complete
        self->finish_owned(std::move(outcome));
    }
    self->release();
}

bool GrantFuture::cancel() noexcept {
    if (!Future::cancel())
        return false;
    try {
        ticket_->cancel();
    } catch (const Error &) {
        // Already released: nothing to give up.
    }
    return true;
}

} // namespace ordo::detail
