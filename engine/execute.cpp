// Executing an engagement command: load the state, decide, append with the expected version,
// decide again on conflict; idempotency keys. Synchronously, or handing the append to the
// ledger's group commit and going on when it is synced (execute_async).
#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "engine/engagement_service.h"
#include "engine/state_cache.h"
#include "projections/snapshot.h"
#include "schema/codec.h"

namespace ftl::engine {

using projections::EngagementState;

Status check_idempotency_key(const std::string& key) {
  const bool ok = !key.empty() && key.size() <= 128 && std::all_of(key.begin(), key.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '.' || c == '_' || c == ':' || c == '-';
  });
  if (ok) return Status::Ok();
  return Status::InvalidArgument("idempotency key '" + key.substr(0, 64) + "' is not 1 to 128 letters, digits, '.', '_', ':' or '-'",
                                 "a UUID will do").tagged("idempotency.key");
}

namespace {
// What an earlier call with this key recorded, if any. It was this same request if deciding it
// again on the state just before it gives the very events it recorded; else the key is being
// reused for something else.
Result<std::optional<Outcome>> recorded_before(Ledger& ledger, const std::string& stream, const std::string& actor,
                                               const std::string& key, const Decide& decide) {
  auto first = ledger.get_by_id(key);
  if (!first.ok()) {
    if (first.status().code() == Code::kNotFound) return std::optional<Outcome>{};
    return first.status();
  }
  auto reused = [&] {
    return Status::InvalidArgument("idempotency key " + key + " was used for another request (sequence " +
                                   std::to_string(first->sequence) + ")", "send a new key with each new request")
        .tagged("idempotency.reused");
  };
  if (first->stream != stream || first->actor != actor) return reused();
  std::vector<Event> recorded{*first};
  for (;;) {
    auto next = ledger.get_by_id(key + "/" + std::to_string(recorded.size() + 1));
    if (!next.ok()) {
      if (next.status().code() == Code::kNotFound) break;
      return next.status();
    }
    recorded.push_back(std::move(*next));
  }
  EngagementState before;
  if (first->stream_version > 1) {
    auto s = load_engagement(ledger, stream.substr(std::string(projections::kEngagementStreamPrefix).size()), first->sequence - 1);
    if (!s.ok()) return s.status();
    before = std::move(*s);
  }
  auto catalog = load_catalog(ledger, first->sequence - 1);
  if (!catalog.ok()) return catalog.status();
  auto again = decide(before, *catalog);
  if (!again.ok() || again->events.size() != recorded.size()) return reused();
  for (std::size_t i = 0; i < recorded.size(); ++i) {
    auto enc = schema::encode(again->events[i]);
    if (enc.type != recorded[i].type || enc.bytes != recorded[i].payload) return reused();
  }
  Outcome out;
  out.events = recorded.size();
  out.position = {recorded.front().sequence, recorded.back().sequence, recorded.back().stream_version, true};
  out.message = again->message + " (already recorded by an earlier request with the same idempotency key)";
  return std::optional<Outcome>{std::move(out)};
}
}  // namespace

namespace {

// One command, as far as the append: what to append, or the answer when there is nothing to.
struct Prepared {
  std::optional<Outcome> answer;                  // set: nothing to append, this is the result
  AppendRequest request;                          // else: what to append
  std::shared_ptr<const EngagementState> state;   // what it was decided on (nullptr: no engagement yet)
  Outcome outcome;                                // the answer once the append succeeds, less its position
};

// The command in one execution: what it is, and where its engagement stream is.
struct Command {
  Ledger& ledger;
  std::string engagement_id, stream, actor, key;
  std::optional<std::int64_t> effective_us;
  bool create = false;
  Decide decide;
};

Result<Prepared> prepare(const Command& c) {
  Prepared p;
  if (!c.key.empty()) {
    auto before = recorded_before(c.ledger, c.stream, c.actor, c.key, c.decide);
    if (!before.ok()) return before.status();
    if (*before) {
      p.answer = std::move(**before);
      return p;
    }
  }
  static const EngagementState kNone;
  auto loaded = load_engagement_shared(c.ledger, c.engagement_id);
  if (!loaded.ok() && !(c.create && loaded.status().code() == Code::kNotFound)) return loaded.status();
  if (loaded.ok()) p.state = std::move(*loaded);
  const EngagementState& state = p.state ? *p.state : kNone;
  auto catalog = shared_catalog(c.ledger);
  if (!catalog.ok()) return catalog.status();
  auto decision = c.decide(state, **catalog);
  if (!decision.ok()) return decision.status();
  p.outcome.message = decision->message;
  if (decision->events.empty()) {
    p.answer = std::move(p.outcome);
    return p;
  }
  auto& req = p.request;
  req.stream = c.stream;
  req.expected = state.version == 0 ? ExpectedVersion::NoStream() : ExpectedVersion::Exact(state.version);
  for (const auto& e : decision->events) {
    if (auto st = schema::check_event_text(e); !st.ok()) return st;
    auto enc = schema::encode(e);
    NewEvent ne;
    ne.type = enc.type;
    ne.schema_version = enc.version;
    ne.actor = c.actor;
    ne.effective_us = c.effective_us;
    ne.payload = std::move(enc.bytes);
    if (!c.key.empty()) ne.event_id = req.events.empty() ? c.key : c.key + "/" + std::to_string(req.events.size() + 1);
    req.events.push_back(std::move(ne));
  }
  p.outcome.events = decision->events.size();
  return p;
}

constexpr int kMaxAttempts = 100;

// After the append: the outcome, or nullopt to decide again (another writer got there first).
Result<std::optional<Outcome>> conclude(const Command& c, Prepared& p, Result<AppendResult> res, int attempt) {
  if (!res.ok()) {
    if (res.status().code() == Code::kConflict && attempt < kMaxAttempts) return std::optional<Outcome>{};
    return res.status();
  }
  if (res->duplicate) {
    // The ledger already held these event ids: another request with this key got there
    // first. It stands for this one only if it was the same request.
    auto before = recorded_before(c.ledger, c.stream, c.actor, c.key, c.decide);
    if (!before.ok()) return before.status();
    if (*before) return std::move(*before);
    return Status::Conflict("idempotency key " + c.key + " is being recorded by another request");
  }
  p.outcome.position = *res;
  note_appended(cache_key(c.ledger, c.stream), *res);
  return std::optional<Outcome>{std::move(p.outcome)};
}

// Whether keep_snapshot may write, from what this process knows without reading the disk.
bool snapshot_maybe_due(const Command& c, const std::shared_ptr<const EngagementState>& state) {
  if (!state || state->version < kSnapshotEvery || !c.ledger.has_snapshot_key()) return false;
  const auto covers = known_snapshot_covers(cache_key(c.ledger, c.stream));
  return !covers || state->version >= *covers + snapshot_interval(state->version);
}

// Keeps a snapshot near the head, from the state a command was decided on (exact up to its
// last sequence). It may wait for the disk; a failure costs only speed, so it is never the
// command's failure.
void keep_snapshot(const Command& c, const std::shared_ptr<const EngagementState>& state) noexcept {
  if (!state || state->version < kSnapshotEvery || !c.ledger.has_snapshot_key()) return;
  try {
    const auto key = cache_key(c.ledger, c.stream);
    if (state->version >= snapshot_covers(c.ledger, c.stream, key) + snapshot_interval(state->version) && write_snapshot(c.ledger, *state).ok())
      snapshot_written(key, state->version);
  } catch (...) {
    // Out of memory encoding it: the next command that finds one due tries again.
  }
}

Command command(Ledger& ledger, const std::string& engagement_id, const std::string& actor, std::optional<std::int64_t> effective_us,
                bool create, Decide decide, const std::string& key) {
  return {ledger, engagement_id, projections::engagement_stream(engagement_id), actor, key, effective_us, create, std::move(decide)};
}

// Commands on one engagement in this process take turns, so they do not conflict with each
// other; another writer that gets there first makes a command decide again. Synchronous
// commands wait on a mutex; asynchronous ones queue behind the one whose turn it is.
std::mutex& sync_turn(const Command& c) {
  static std::array<std::mutex, 256> turns;
  return turns[std::hash<std::string>{}(c.ledger.path() + "\n" + c.stream) % turns.size()];
}

class AsyncTurns {
 public:
  // Runs `go` now if no async command on `key` is running, else when the last one queued ends.
  void enter(const std::string& key, std::function<void()> go) {
    std::unique_lock lk(mu_);
    auto [it, idle] = waiting_.try_emplace(key);
    if (!idle) return it->second.push_back(std::move(go));
    lk.unlock();
    go();
  }
  // The turn on `key` ends: the next command queued on it, if any, to run (by `post`).
  std::function<void()> leave(const std::string& key) {
    std::lock_guard lk(mu_);
    auto it = waiting_.find(key);
    if (it == waiting_.end()) return {};
    if (it->second.empty()) {
      waiting_.erase(it);
      return {};
    }
    auto next = std::move(it->second.front());
    it->second.pop_front();
    return next;
  }

 private:
  std::mutex mu_;
  std::unordered_map<std::string, std::deque<std::function<void()>>> waiting_;  // present: a command's turn
};
AsyncTurns async_turns;

// An asynchronous command, from its turn to its answer.
class Execution : public std::enable_shared_from_this<Execution> {
 public:
  Execution(Command c, Post post, Post background, std::function<void(Result<Outcome>)> done)
      : c_(std::move(c)), turn_(c_.ledger.path() + "\n" + c_.stream), post_(std::move(post)), background_(std::move(background)),
        done_(std::move(done)) {}

  void start() {
    async_turns.enter(turn_, [self = shared_from_this()] { self->step(); });
  }

 private:
  void step() {
    if (!loading_ && !is_kept(c_.ledger, c_.stream)) {
      // Not kept: loading it reads the disk (a snapshot, a fold), which is background work
      // (here, if it cannot be handed on).
      loading_ = true;
      try {
        return background_([self = shared_from_this()] { self->step(); });
      } catch (...) {
      }
    }
    loading_ = false;
    guarded([&] {
      auto p = prepare(c_);
      if (!p.ok()) return finish(p.status());
      if (p->answer) return finish(std::move(*p->answer));
      auto request = std::move(p->request);
      prepared_ = std::move(*p);
      c_.ledger.append_async(std::move(request), [self = shared_from_this()](Result<AppendResult> res) {
        // On the ledger's commit thread: what follows reads and may write, so it runs elsewhere
        // (here only if it cannot be handed on: the command must end, and its turn pass on).
        auto shared = std::make_shared<Result<AppendResult>>(std::move(res));
        try {
          self->post_([self, shared] { self->appended(std::move(*shared)); });
        } catch (...) {
          self->appended(std::move(*shared));
        }
      });
    });
  }

  void appended(Result<AppendResult> res) {
    guarded([&] {
      auto out = conclude(c_, *prepared_, std::move(res), attempt_);
      auto state = std::move(prepared_->state);
      prepared_.reset();
      if (!out.ok()) return finish(out.status());
      if (*out) {
        if (snapshot_maybe_due(c_, state)) {
          try {
            background_([c = c_, state = std::move(state)]() mutable {
              keep_snapshot(c, state);
              state.reset();  // before the next command's load: held here, that load would copy it
            });
          } catch (...) {
            // A snapshot only saves a later fold; the command is recorded all the same.
          }
        }
        return finish(std::move(**out));
      }
      ++attempt_;
      step();
    });
  }

  void finish(Result<Outcome> r) {
    if (finished_) return;  // once, even if what follows throws and guarded() calls again
    finished_ = true;
    if (auto next = async_turns.leave(turn_)) {
      try {
        post_(next);
      } catch (...) {
        next();  // the turn must pass on: a command queued behind this one would wait forever
      }
    }
    try {
      done_(std::move(r));
    } catch (...) {
      // The caller's answer could not be made; the command itself is over.
    }
  }

  // Whatever throws (memory) ends this command with an error, never the thread it runs on.
  template <class F>
  void guarded(F&& f) {
    try {
      f();
    } catch (const std::exception& e) {
      finish(Status::Unavailable(std::string("the command could not finish: ") + e.what() + "; nothing more was recorded"));
    }
  }

  Command c_;
  const std::string turn_;
  Post post_, background_;
  bool loading_ = false, finished_ = false;
  std::function<void(Result<Outcome>)> done_;
  std::optional<Prepared> prepared_;
  int attempt_ = 0;
};

}  // namespace

Result<Outcome> execute(Ledger& ledger, const std::string& engagement_id, const std::string& actor,
                        std::optional<std::int64_t> effective_us, bool create, const Decide& decide,
                        const std::string& idempotency_key) {
  if (!idempotency_key.empty())
    if (auto st = check_idempotency_key(idempotency_key); !st.ok()) return st;
  const auto c = command(ledger, engagement_id, actor, effective_us, create, decide, idempotency_key);
  std::lock_guard turn(sync_turn(c));
  for (int attempt = 0;; ++attempt) {
    auto p = prepare(c);
    if (!p.ok()) return p.status();
    if (p->answer) return std::move(*p->answer);
    auto res = ledger.append(std::move(p->request));
    auto out = conclude(c, *p, std::move(res), attempt);
    if (!out.ok()) return out.status();
    if (*out) {
      keep_snapshot(c, p->state);
      return std::move(**out);
    }
    // Someone else recorded something on this engagement first: decide again on the new state.
    std::this_thread::sleep_for(std::chrono::microseconds(500 * std::min(attempt, 20)));
  }
}

void execute_async(Ledger& ledger, const std::string& engagement_id, const std::string& actor, std::optional<std::int64_t> effective_us,
                   bool create, Decide decide, const std::string& idempotency_key, Post post, Post background,
                   std::function<void(Result<Outcome>)> done) {
  if (!idempotency_key.empty())
    if (auto st = check_idempotency_key(idempotency_key); !st.ok()) return done(st);
  if (!post) post = [](std::function<void()> f) { f(); };
  if (!background) background = post;
  std::make_shared<Execution>(command(ledger, engagement_id, actor, effective_us, create, std::move(decide), idempotency_key),
                              std::move(post), std::move(background), std::move(done))
      ->start();
}

}  // namespace ftl::engine
