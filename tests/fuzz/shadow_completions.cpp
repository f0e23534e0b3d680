// The shadow's completion queues (shadow.hpp): which tags were posted and
// not read yet, and what each completion read may be. Every completion
// must stand for a post not read before, on that queue, of a future that
// has completed with that status; once a read leaves the queue empty,
// every posted future that the shadow knows to be complete must have been
// read (its completion is queued by the thread that completed it, before
// that call returned); and the end of an input reads until every post has
// given its one completion.
#include "shadow.hpp"
#include "shadow_internal.hpp"

namespace ordo_fuzz {

void Shadow::completion_queue_created(ordo_completion_queue q) {
    completion_queues_[key(q)] = CompletionQueueRec{};
}

bool Shadow::completion_queue_live(ordo_completion_queue q) const {
    auto it = completion_queues_.find(key(q));
    return it != completion_queues_.end() && it->second.live;
}

int Shadow::plan_post(ordo_completion_queue q, ordo_future f) const {
    if (!completion_queue_live(q) || completion(f) == nullptr)
        return ORDO_ERROR_INVALID_HANDLE;
    return ORDO_OK;
}

void Shadow::posted(ordo_completion_queue q, ordo_future f, uint64_t tag) {
    completion_queues_.at(key(q)).unread[tag] = completion(f);
}

void Shadow::check_completions(const char *call, ordo_completion_queue q, size_t capacity,
                               bool null_count, int status, const ordo_completion *out, size_t n) {
    if (!completion_queue_live(q))
        return expect(call, ORDO_ERROR_INVALID_HANDLE, status);
    if (capacity == 0 || null_count)
        return expect(call, ORDO_ERROR_INVALID_ARGUMENT, status);
    if (status != ORDO_OK && status != ORDO_ERROR_TIMEOUT)
        violation(std::string(call) + " returned " + status_name(status));
    if ((status == ORDO_OK) != (n > 0) && std::string(call) == "ordo_completion_queue_wait")
        violation("ordo_completion_queue_wait returned " + status_name(status) + " with " +
                  std::to_string(n) + " completions");
    if (n > capacity)
        violation(std::string(call) + " gave more completions than the capacity");
    CompletionQueueRec &rec = completion_queues_.at(key(q));
    for (size_t i = 0; i < n; ++i) {
        auto it = rec.unread.find(out[i].tag);
        if (it == rec.unread.end())
            violation(std::string(call) + " gave tag " + std::to_string(out[i].tag) +
                      ", not posted to this queue or read already");
        const Completion &c = *it->second;
        std::optional<int> state = state_of(c);
        if (state && *state == ORDO_PENDING)
            violation(std::string(call) + " gave the completion of a future still pending");
        if (state && *state != out[i].status)
            violation(std::string(call) + " gave status " + status_name(out[i].status) +
                      " for a future that completed with " + status_name(*state));
        if (!state && c.kind == Completion::kEventWait) {
            if (out[i].status == ORDO_OK && !all_complete(c.events))
                violation("a completion of an event wait came before its events completed");
            if (out[i].status == ORDO_ERROR_EVENT_FAILED && !any_failed(c.events))
                violation("an event wait's completion failed though none of its events did");
        }
        if (out[i].status != ORDO_OK && !failure_status(out[i].status))
            violation(std::string(call) + " gave a completion with status " +
                      status_name(out[i].status));
        rec.unread.erase(it);
    }
    if (n < capacity)
        for (const auto &[tag, c] : rec.unread) {
            std::optional<int> state = state_of(*c);
            if (state && *state != ORDO_PENDING)
                violation("the completion of tag " + std::to_string(tag) +
                          ", whose future has completed, was not queued");
        }
}

void Shadow::check_outstanding(ordo_completion_queue q, int status, size_t count) {
    if (!completion_queue_live(q))
        return expect("ordo_completion_queue_outstanding", ORDO_ERROR_INVALID_HANDLE, status);
    expect("ordo_completion_queue_outstanding", ORDO_OK, status);
    size_t unread = completion_queues_.at(key(q)).unread.size();
    if (count != unread)
        violation("ordo_completion_queue_outstanding gave " + std::to_string(count) + ", with " +
                  std::to_string(unread) + " posts unread");
}

size_t Shadow::unread(ordo_completion_queue q) const {
    return completion_queues_.at(key(q)).unread.size();
}

void Shadow::completion_queue_destroyed(ordo_completion_queue q, int status) {
    if (q == nullptr)
        return expect("ordo_completion_queue_destroy(NULL)", ORDO_OK, status);
    if (!completion_queue_live(q))
        return expect("ordo_completion_queue_destroy", ORDO_ERROR_INVALID_HANDLE, status);
    expect("ordo_completion_queue_destroy", ORDO_OK, status);
    CompletionQueueRec &rec = completion_queues_.at(key(q));
    rec.live = false;
    rec.unread.clear();
}

} // namespace ordo_fuzz
