// GrantFuture: a future that mirrors a ticket's grant (ordo_ticket_grant_future).
// Cancelling it before the grant gives the ticket's place up. Taking one is
// not seeing the grant: the ticket has seen it only once this future has
// delivered the grant's outcome (completed with it), which a cancel that
// came first prevents.
#pragma once

#include "future.hpp"
#include "ticket.hpp"

namespace ordo::detail {

class GrantFuture final : public Future, private Callback {
public:
    // A new mirror of grant, ticket's; throws std::bad_alloc.
    static Ref<Future> make(Ref<Ticket> ticket, Future &grant);

    bool cancel() noexcept override;

private:
    explicit GrantFuture(Ref<Ticket> ticket) noexcept : ticket_(std::move(ticket)) {}
    static void on_grant(Callback *self, Future &grant) noexcept;

    Ref<Ticket> ticket_;
};

} // namespace ordo::detail
