// A reference model of ordo's contract (docs/CONTRACT.md, rules 1, 6, 7, 8
// and 11): what every grant must carry, and what a job queue's backlog may
// be. The stress tool and the fuzzer run the library and this model side by
// side and compare every grant, host wait and device wait with it, not only
// their order. Written from the contract alone: it shares no code with lib/ and
// knows nothing of how the library works inside.
//
// Per resource the model keeps the chain of *units*: an exclusive ticket, or
// a group of consecutive shared tickets (granted together). A unit's grant
// is the outcome of the unit before it (the first unit's: done, no events).
// A ticket's release hands on
//  - its failure, if it released with fail();
//  - otherwise (ready with events E, cancel or drop with none): E if the
//    holder had seen its grant; else its grant's events together with E, or
//    its grant's failure.
// A group's outcome is the union of its members' outcomes, or the failure of
// one of its failed members (whichever resolved first).
//
// Where the harness cannot know what happened (a holder whose grant future
// may or may not have delivered the grant before its release, shared
// members failing concurrently), the model keeps every outcome that could
// have happened, up to a cap beyond which it says it does not know. A grant
// seen by the harness narrows its predecessor's outcomes to the one seen.
//
// Not thread-safe: the harness serialises its calls (per Chains object).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace ordo_model {

// A cl_event as an opaque value.
using Event = uintptr_t;
// Sorted, without duplicates.
using Events = std::vector<Event>;

Events make_events(const void *const *events, size_t n);
Events merged(const Events &a, const Events &b);

struct Outcome {
    bool failed = false;
    int status = 0;      // failed: the failure's status
    std::string message; // failed: its message
    Events events;       // done: the events

    static Outcome done(Events events);
    static Outcome failure(int status, std::string message);
    bool operator==(const Outcome &other) const;
    std::string describe() const;
};

// The outcomes the model allows, or "unknown" (too many to follow).
class Possible {
public:
    static constexpr size_t kCap = 32;

    static Possible unknown_outcome();
    bool unknown() const { return unknown_; }
    const std::vector<Outcome> &outcomes() const { return outcomes_; }
    bool allows(const Outcome &o) const;
    // Adds o if it is not there yet; past kCap the set becomes unknown.
    void add(Outcome o);
    std::string describe() const;

private:
    std::vector<Outcome> outcomes_;
    bool unknown_ = false;
};

enum class Mode { kExclusive, kShared };

// Whether the holder had seen its grant when it released.
enum class Seen { kNo, kYes, kMaybe };

// A ticket: its resource and its position (the order of acquires there).
struct TicketId {
    int resource = -1;
    uint64_t position = 0;
    bool operator==(const TicketId &) const = default;
};

class Chains {
public:
    // A new resource; returns its number.
    int add_resource();

    // A ticket on resource r, acquired after every ticket acquired there so
    // far (the harness serialises acquires per resource).
    TicketId acquire(int r, Mode mode);

    // Releases (each at most once per ticket; the harness checks that ordo
    // refuses a second). seen: what the holder had seen at that moment.
    void ready(TicketId t, Events events, Seen seen);
    void fail(TicketId t, int status, std::string message, Seen seen);
    void release_nothing(TicketId t, Seen seen); // cancel, drop, destroy unreleased
    bool released(TicketId t) const;
    // The unit t belongs to: tickets of one unit share one grant.
    uint64_t unit_of(TicketId t) const;

    // What t's grant must carry, once every ticket before it that its grant
    // waits for has released (nullopt before).
    std::optional<Possible> grant_of(TicketId t);

    // t's holder was handed outcome o for its grant. Returns false, with the
    // reason in *why, if the model does not allow o; narrows the
    // predecessor's outcomes to o otherwise.
    bool observe_grant(TicketId t, const Outcome &o, std::string *why);

    // How the model came to t's grant: the releases of the units before it
    // (up to `depth` of them), for a report.
    std::string explain(TicketId t, int depth = 4) const;

    // The harness will ask nothing more about t: lets the model drop what
    // no ticket still needs.
    void forget(TicketId t);

    // How many grants were checked, and how many could not be (unknown).
    uint64_t grants_checked() const { return checked_; }
    uint64_t grants_unknown() const { return unknown_; }

private:
    struct Ticket {
        Mode mode = Mode::kExclusive;
        uint64_t unit = 0;
        bool released = false;
        bool failed = false; // released with fail()
        int status = 0;
        std::string message;
        Events events; // released with ready()
        Seen seen = Seen::kNo;
        bool forgotten = false;
    };
    struct Unit {
        bool group = false;
        std::vector<uint64_t> members; // ticket positions
        bool closed = false;           // a group: a ticket came after it
        uint64_t released = 0;
        std::optional<Possible> outcome; // once final
    };
    struct Resource {
        std::deque<Ticket> tickets; // from position ticket_base
        uint64_t ticket_base = 0;
        std::deque<Unit> units; // from unit_base
        uint64_t unit_base = 0;
        uint64_t first_unsettled = 0; // the first unit whose outcome is not final
        Possible before_first;        // the first unit's grant: done, no events
    };

    Ticket &ticket(TicketId t);
    const Ticket &ticket(TicketId t) const;
    Unit &unit(Resource &r, uint64_t u) { return r.units[u - r.unit_base]; }
    // The outcome of the unit before u (u's grant), if final.
    std::optional<Possible> *grant_slot(Resource &r, uint64_t u);
    void release(TicketId t, Ticket released);
    // Computes the outcomes of units that have become final, in order.
    void settle(Resource &r);
    void collect(Resource &r);

    std::vector<Resource> resources_;
    uint64_t checked_ = 0;
    uint64_t unknown_ = 0;
};

// A job queue's backlog as the contract bounds it, for a harness that
// serialises its job queue calls and the completions of the jobs it adds
// (promises it completes itself, and jobs already complete).
class JobQueueModel {
public:
    explicit JobQueueModel(size_t max_pending) : max_pending_(max_pending) {}

    size_t max_pending() const { return max_pending_; }
    // What add / try_add of a job must answer: true if it must be added.
    bool must_accept(bool job_complete) const {
        return job_complete || max_pending_ == 0 || backlog_ < max_pending_;
    }
    void added(uint64_t job, bool job_complete);
    void completed(uint64_t job);
    // Removes completed jobs from the front (clean, or finish with a past
    // deadline down to max_remaining); returns how many.
    size_t remove_completed_front(size_t max_remaining);
    size_t size() const { return jobs_.size(); }
    size_t backlog() const { return backlog_; }

private:
    struct Job {
        uint64_t id;
        bool complete;
    };
    size_t max_pending_;
    std::deque<Job> jobs_;
    size_t backlog_ = 0;
};

} // namespace ordo_model
