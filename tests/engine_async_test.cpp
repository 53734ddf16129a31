// How the engine runs commands beyond one at a time: the engagement states it keeps (never
// changed under a caller, always equal to a fresh fold), and commands run asynchronously,
// taking turns with waiting ones, answering once, and passing their turn on whatever the
// threads they are handed to do.
#include <catch2/catch.hpp>

#include <condition_variable>
#include <deque>
#include <thread>

#include "engine/engagement_service.h"
#include "projections/fold.h"
#include "tests/engagement_fixture.h"

using namespace ftl;
using namespace ftl::engine;
using namespace ftl::test;
using projections::TaskStatus;

// The engine keeps each engagement's newest state and brings it forward in place when no
// caller holds it: a state a caller holds must never change under it, and what the cache gives
// must always equal a fold of the stream from its first event.
TEST_CASE("a kept engagement state never changes under a caller, and always matches a fresh fold", "[engagement][cache]") {
  Fixture f;
  const std::vector<std::string> ids = {"a0", "a1", "a2", "a3"};
  for (const auto& id : ids) REQUIRE(f.open(id, 25000, "Exchange, Teams").ok());
  auto note = [&](const std::string& id, const std::string& text) {
    NoteCommand c{"environment", text, {}, 0};
    return f.run(id, [c](const EngagementState& s, const CatalogView& cat) { return decide_note(s, cat, c); });
  };
  auto fresh = [&](const std::string& id) {
    EngagementState s;
    auto cur = f.ledger->scan_stream(projections::engagement_stream(id));
    REQUIRE(projections::fold_stream(*cur, 0, s).ok());
    return s;
  };

  {
  // Held across a write: the holder's state stays as it was; the next load has the note.
  auto held = load_engagement_shared(*f.ledger, "a0");
  REQUIRE(held.ok());
  const EngagementState copy = **held;
  REQUIRE(note("a0", "first").ok());
  CHECK(**held == copy);
  auto after = load_engagement_shared(*f.ledger, "a0");
  REQUIRE(after.ok());
  CHECK((*after)->version == copy.version + 1);
  CHECK((*after)->notes.size() == copy.notes.size() + 1);
  CHECK(**after == fresh("a0"));
  }  // both released

  // Not held: brought forward where it is, still equal to a fresh fold.
  for (int i = 0; i < 5; ++i) REQUIRE(note("a0", "again " + std::to_string(i)).ok());
  CHECK(*load_engagement_shared(*f.ledger, "a0").value() == fresh("a0"));

  // Writers and readers at once: every state a reader holds stays fixed while it holds it.
  std::atomic<bool> stop{false};
  std::atomic<int> changed{0}, failed{0};
  std::vector<std::thread> readers, writers;
  for (int r = 0; r < 3; ++r)
    readers.emplace_back([&, r] {
      for (std::size_t n = 0; !stop.load(); ++n) {
        auto s = load_engagement_shared(*f.ledger, ids[(n + r) % ids.size()]);
        if (!s.ok()) {
          ++failed;
          continue;
        }
        const auto version = (*s)->version;
        const auto notes = (*s)->notes.size();
        std::this_thread::yield();
        if ((*s)->version != version || (*s)->notes.size() != notes) ++changed;
      }
    });
  for (std::size_t w = 0; w < ids.size(); ++w)
    writers.emplace_back([&, w] {
      for (int i = 0; i < 40; ++i)
        if (!note(ids[w], "n" + std::to_string(i)).ok()) ++failed;
    });
  for (auto& t : writers) t.join();
  stop = true;
  for (auto& t : readers) t.join();
  CHECK(failed == 0);
  CHECK(changed == 0);
  for (const auto& id : ids) CHECK(*load_engagement_shared(*f.ledger, id).value() == fresh(id));
}

namespace {
// Where an async command's work after each sync goes: two threads of the test's own.
class Workers {
 public:
  Workers() {
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { run(); });
  }
  ~Workers() {
    {
      std::lock_guard lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  Post post() {
    return [this](std::function<void()> f) {
      std::lock_guard lk(mu_);
      work_.push_back(std::move(f));
      cv_.notify_one();
    };
  }

 private:
  void run() {
    std::unique_lock lk(mu_);
    for (;;) {
      cv_.wait(lk, [&] { return stop_ || !work_.empty(); });
      if (work_.empty()) return;
      auto f = std::move(work_.front());
      work_.pop_front();
      lk.unlock();
      f();
      lk.lock();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> work_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

// Runs commands with execute_async and keeps their answers, in the order they were sent.
struct AsyncRun {
  AsyncRun(Workers& w, Ledger& l) : workers(w), ledger(l) {}
  Workers& workers;
  Ledger& ledger;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::optional<Result<Outcome>>> answers;
  std::size_t answered = 0;

  void send(const std::string& id, Decide d, const std::string& key = {}) {
    std::size_t slot;
    {
      std::lock_guard lk(mu);
      slot = answers.size();
      answers.emplace_back();
    }
    execute_async(ledger, id, "ryan", std::nullopt, false, std::move(d), key, workers.post(), workers.post(), [this, slot](Result<Outcome> r) {
      std::lock_guard lk(mu);
      CHECK_FALSE(answers[slot].has_value());  // answered once
      answers[slot] = std::move(r);
      ++answered;
      cv.notify_all();
    });
  }
  void wait() {
    std::unique_lock lk(mu);
    REQUIRE(cv.wait_for(lk, std::chrono::seconds(60), [&] { return answered == answers.size(); }));
  }
};

}  // namespace

TEST_CASE("async commands take turns on an engagement beside waiting ones: none lost, none twice", "[engagement][async]") {
  Fixture f;
  REQUIRE(f.open("contoso", 25000, "Exchange, Teams, SharePoint").ok());
  Workers workers;
  AsyncRun run(workers, *f.ledger);
  const std::vector<std::uint32_t> tasks = {1126, 1158, 1235, 1672, 2474, 3306, 3687, 3125, 1159, 1171, 3160, 3159};
  const auto notes_before = f.state("contoso").notes.size();
  // Each task sent twice async and once waiting, at once; and notes, async only.
  std::vector<std::thread> waiting;
  for (auto t : tasks) {
    TaskCommand c{Kind::kDone, t, {}, {}};
    Decide d = [c](const EngagementState& s, const CatalogView& cat) { return decide_task(s, cat, c); };
    run.send("contoso", d);
    run.send("contoso", d);
    waiting.emplace_back([&f, t] { CHECK(f.task("contoso", Kind::kDone, t).ok()); });
  }
  for (int i = 0; i < 40; ++i) run.send("contoso", note_decision("async note " + std::to_string(i)));
  for (auto& t : waiting) t.join();
  run.wait();
  for (const auto& a : run.answers) {
    REQUIRE(a.has_value());
    if (!a->ok()) FAIL(a->status().message());
  }
  auto s = f.state("contoso");
  for (auto t : tasks) CHECK(s.task_status(t) == TaskStatus::kDone);
  CHECK(s.notes.size() == notes_before + 40);
  std::size_t completions = 0;
  for (auto c = f.ledger->scan_stream("engagement/contoso"); c->valid(); c->next())
    if (c->event().type == "TaskCompleted") ++completions;
  CHECK(completions == tasks.size());  // each once, though each was sent three times
  CHECK(f.ledger->verify({}).ok());
}

TEST_CASE("an async command answers as execute would: refusals, idempotent retries, a key reused", "[engagement][async]") {
  Fixture f;
  REQUIRE(f.open("contoso", 25000, "Exchange").ok());
  Workers workers;
  AsyncRun run(workers, *f.ledger);
  const auto head = f.ledger->head().sequence;
  TaskCommand unknown{Kind::kDone, 999999, {}, {}};
  run.send("contoso", [unknown](const EngagementState& s, const CatalogView& cat) { return decide_task(s, cat, unknown); });
  run.send("nobody", note_decision("to no one"));
  run.send("contoso", note_decision("x"), "bad key with spaces");
  run.wait();
  CHECK(f.refused(*run.answers[0]).find("999999") != std::string::npos);
  CHECK(run.answers[1]->status().code() == Code::kNotFound);
  CHECK(run.answers[2]->status().tag() == "idempotency.key");
  CHECK(f.ledger->head().sequence == head);  // nothing recorded

  run.send("contoso", note_decision("kick-off held"), "key-1");
  run.send("contoso", note_decision("kick-off held"), "key-1");  // the retry
  run.send("contoso", note_decision("something else"), "key-1");
  run.wait();
  REQUIRE(run.answers[3]->ok());
  REQUIRE(run.answers[4]->ok());
  CHECK((*run.answers[4])->position.duplicate);
  CHECK((*run.answers[4])->position.first_sequence == (*run.answers[3])->position.first_sequence);
  CHECK(run.answers[5]->status().tag() == "idempotency.reused");
  CHECK(f.ledger->head().sequence == head + 1);
  // And the same key through execute, waiting, gets the same answer.
  auto again = execute(*f.ledger, "contoso", "ryan", std::nullopt, false, note_decision("kick-off held"), "key-1");
  REQUIRE(again.ok());
  CHECK(again->position.duplicate);
}

// A poster that cannot take work (a server stopping, memory gone) throws: a command must still
// answer once, and pass its turn on so the commands queued behind it run.
TEST_CASE("when work cannot be handed on, every async command still answers once and passes its turn on", "[engagement][async]") {
  Fixture f;
  REQUIRE(f.open("contoso", 25000, "Exchange, Teams").ok());
  REQUIRE(f.open("fabrikam", 25000, "Exchange").ok());
  const auto notes_contoso = f.state("contoso").notes.size(), notes_fabrikam = f.state("fabrikam").notes.size();
  // A new instance keeps no state: the first command on each engagement loads it in the background.
  f.ledger.reset();
  f.ledger = open_ledger(f.dir.sub("db"));
  Workers workers;
  std::atomic<int> calls{0};
  const bool always = GENERATE(true, false);
  Post refusing = [&, always, inner = workers.post()](std::function<void()> fn) {
    if (always || ++calls % 2 == 0) throw std::runtime_error("no thread to run it");
    inner(std::move(fn));
  };
  std::mutex mu;
  std::condition_variable cv;
  std::vector<int> answers(60, 0);
  std::vector<std::optional<Result<Outcome>>> results(60);
  int answered = 0;
  for (int i = 0; i < 60; ++i) {
    const auto id = i % 3 == 0 ? "fabrikam" : "contoso";
    execute_async(*f.ledger, id, "ryan", std::nullopt, false, note_decision("note " + std::to_string(i)), {}, refusing, refusing,
                  [&, i](Result<Outcome> r) {
                    std::lock_guard lk(mu);
                    ++answers[i];
                    results[i] = std::move(r);
                    ++answered;
                    cv.notify_all();
                  });
  }
  {
    std::unique_lock lk(mu);
    REQUIRE(cv.wait_for(lk, std::chrono::seconds(60), [&] { return answered == 60; }));
  }
  for (int i = 0; i < 60; ++i) {
    CHECK(answers[i] == 1);
    REQUIRE(results[i]->ok());
  }
  CHECK(f.state("contoso").notes.size() == notes_contoso + 40);
  CHECK(f.state("fabrikam").notes.size() == notes_fabrikam + 20);
  CHECK(f.ledger->verify({}).ok());
}
