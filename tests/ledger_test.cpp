// The ledger's contract: sequences, expected versions, idempotency, atomic batches, group
// commit, the writer lock and the byte format of the chain.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <set>
#include <thread>

#include "ledger/format.h"
#include "ledger/sha256.h"
#include "tests/testutil.h"

using namespace ftl;
using ftl::test::TempDir;

namespace {

NewEvent ev(std::string type, std::string payload, std::string id = {}, std::string actor = "ana") {
  NewEvent e;
  e.event_id = std::move(id);
  e.type = std::move(type);
  e.actor = std::move(actor);
  e.payload = std::move(payload);
  return e;
}

AppendRequest req(std::string stream, ExpectedVersion expected, std::vector<NewEvent> events) {
  return {std::move(stream), expected, std::move(events)};
}

std::vector<Event> all(Ledger& l, std::uint64_t from = 1) {
  std::vector<Event> out;
  for (auto c = l.scan(from); c->valid(); c->next()) out.push_back(c->event());
  return out;
}

}  // namespace

TEST_CASE("appends get consecutive sequences and per-stream versions", "[ledger]") {
  TempDir dir;
  auto l = test::open_ledger(dir.sub("db"));
  auto a = l->append(req("s/a", ExpectedVersion::NoStream(), {ev("T", "1"), ev("T", "2")}));
  REQUIRE(a.ok());
  CHECK(a->first_sequence == 1);
  CHECK(a->last_sequence == 2);
  CHECK(a->stream_version == 2);
  auto b = l->append(req("s/b", ExpectedVersion::Any(), {ev("T", "3")}));
  REQUIRE(b.ok());
  CHECK(b->first_sequence == 3);
  CHECK(b->stream_version == 1);
  auto events = all(*l);
  REQUIRE(events.size() == 3);
  CHECK(events[2].stream == "s/b");
  CHECK(events[1].prev_hash == events[0].hash);
  CHECK(events[0].prev_hash == Hash{});
  CHECK(l->stream_version("s/a").value() == 2);
  CHECK(l->stream_version("s/none").value() == 0);
  CHECK(l->stats().streams == 2);
}

TEST_CASE("a wrong expected version is a conflict and writes nothing", "[ledger][conflict]") {
  TempDir dir;
  auto l = test::open_ledger(dir.sub("db"));
  REQUIRE(l->append(req("s", ExpectedVersion::NoStream(), {ev("T", "1")})).ok());
  const auto head = l->head();

  auto exact = l->append(req("s", ExpectedVersion::Exact(0), {ev("T", "x")}));
  CHECK(exact.status().code() == Code::kConflict);
  CHECK_THAT(exact.status().message(), Catch::Contains("stream s is at version 1, not 0"));
  CHECK(l->append(req("s", ExpectedVersion::NoStream(), {ev("T", "x")})).status().code() == Code::kConflict);
  CHECK(l->append(req("other", ExpectedVersion::StreamExists(), {ev("T", "x")})).status().code() == Code::kConflict);
  CHECK(l->head().sequence == head.sequence);
  CHECK(l->head().hash == head.hash);

  CHECK(l->append(req("s", ExpectedVersion::Exact(1), {ev("T", "2")})).ok());
  CHECK(l->append(req("s", ExpectedVersion::StreamExists(), {ev("T", "3")})).ok());
  CHECK(l->stream_version("s").value() == 3);
}

TEST_CASE("a repeated event id returns the original position instead of a second copy", "[ledger][idempotency]") {
  TempDir dir;
  auto l = test::open_ledger(dir.sub("db"));
  auto first = l->append(req("s", ExpectedVersion::Any(), {ev("T", "a", "id-1"), ev("T", "b", "id-2")}));
  REQUIRE(first.ok());
  auto again = l->append(req("s", ExpectedVersion::Exact(0), {ev("T", "a", "id-1"), ev("T", "b", "id-2")}));
  REQUIRE(again.ok());
  CHECK(again->duplicate);
  CHECK(again->first_sequence == first->first_sequence);
  CHECK(again->last_sequence == first->last_sequence);
  CHECK(l->head().sequence == 2);

  auto mixed = l->append(req("s", ExpectedVersion::Any(), {ev("T", "a", "id-1"), ev("T", "c", "id-3")}));
  CHECK(mixed.status().code() == Code::kInvalidArgument);
  auto twice = l->append(req("s", ExpectedVersion::Any(), {ev("T", "a", "id-9"), ev("T", "c", "id-9")}));
  CHECK(twice.status().code() == Code::kInvalidArgument);
  CHECK(l->head().sequence == 2);
  CHECK(l->get_by_id("id-2")->sequence == 2);
  CHECK(l->get_by_id("id-3").status().code() == Code::kNotFound);
}

TEST_CASE("a batch that fails to write leaves nothing behind", "[ledger][atomic]") {
  TempDir dir;
  std::atomic<bool> fail_next{false};
  OpenOptions o;
  o.before_write = [&](std::uint64_t, std::size_t) {
    return fail_next.exchange(false) ? Status::IOError("injected disk failure") : Status::Ok();
  };
  auto l = test::open_ledger(dir.sub("db"), o);
  REQUIRE(l->append(req("s", ExpectedVersion::Any(), {ev("T", "1", "e1")})).ok());
  const auto head = l->head();

  fail_next = true;
  auto failed = l->append(req("s", ExpectedVersion::Exact(1), {ev("T", "2", "e2"), ev("T", "3", "e3"), ev("T", "4", "e4")}));
  CHECK(failed.status().code() == Code::kIOError);
  CHECK(l->head().sequence == head.sequence);
  CHECK(l->stream_version("s").value() == 1);
  CHECK(l->get_by_id("e2").status().code() == Code::kNotFound);
  CHECK(all(*l).size() == 1);

  // The chain goes on from the last written event, as if the failed batch never happened.
  auto ok = l->append(req("s", ExpectedVersion::Exact(1), {ev("T", "2", "e2")}));
  REQUIRE(ok.ok());
  CHECK(ok->first_sequence == 2);
  CHECK(l->get(2)->prev_hash == head.hash);
  CHECK(l->verify({}).ok());
}

TEST_CASE("an invalid event anywhere in a batch rejects the whole batch", "[ledger][atomic]") {
  TempDir dir;
  auto l = test::open_ledger(dir.sub("db"));
  auto bad_type = l->append(req("s", ExpectedVersion::Any(), {ev("T", "1"), ev("T", "2"), ev("", "3")}));
  CHECK(bad_type.status().code() == Code::kInvalidArgument);
  auto bad_actor = l->append(req("s", ExpectedVersion::Any(), {ev("T", "1"), ev("T", "2", "", "bad\nactor")}));
  CHECK(bad_actor.status().code() == Code::kInvalidArgument);
  auto bad_stream = l->append(req(std::string("a\0b", 3), ExpectedVersion::Any(), {ev("T", "1")}));
  CHECK(bad_stream.status().code() == Code::kInvalidArgument);
  CHECK(l->append(req("s", ExpectedVersion::Any(), {})).status().code() == Code::kInvalidArgument);
  CHECK(l->head().sequence == 0);
  CHECK(all(*l).empty());
}

// Readers asking a stream's version keep what they read from the index, beside the heads the
// appender writes: one read racing a commit must never put back an older head, or an append
// checked against it would reuse a stream version.
TEST_CASE("stream versions read while groups commit never go back, and expected versions hold", "[ledger][group][heads]") {
  TempDir dir;
  auto l = test::open_ledger(dir.sub("db"));
  constexpr int kWriters = 8, kEach = 60;
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0}, backwards{0};
  std::vector<std::thread> readers, writers;
  for (int r = 0; r < 3; ++r)
    readers.emplace_back([&] {
      std::vector<std::uint64_t> seen(kWriters, 0);
      while (!stop.load())
        for (int t = 0; t < kWriters; ++t) {
          auto v = l->stream_version("h/" + std::to_string(t));
          if (!v.ok()) ++failures;
          else if (*v < seen[t]) ++backwards;
          else seen[t] = *v;
        }
    });
  for (int t = 0; t < kWriters; ++t)
    writers.emplace_back([&, t] {
      const std::string stream = "h/" + std::to_string(t);
      for (int i = 0; i < kEach; ++i) {
        // Each appends at the version the ledger says the stream is at: a stale answer conflicts.
        auto v = l->stream_version(stream);
        if (!v.ok() || *v != static_cast<std::uint64_t>(i)) {
          ++failures;
          continue;
        }
        if (!l->append(req(stream, ExpectedVersion::Exact(*v), {ev("T", std::to_string(i))})).ok()) ++failures;
      }
    });
  for (auto& th : writers) th.join();
  stop = true;
  for (auto& th : readers) th.join();
  CHECK(failures == 0);
  CHECK(backwards == 0);
  for (int t = 0; t < kWriters; ++t) {
    const std::string stream = "h/" + std::to_string(t);
    CHECK(l->stream_version(stream).value() == kEach);
    std::uint64_t version = 0;
    for (auto c = l->scan_stream(stream); c->valid(); c->next()) CHECK(c->event().stream_version == ++version);
    CHECK(version == kEach);
  }
  CHECK(l->stream_count() == kWriters);
  CHECK(l->verify({}).ok());
}

TEST_CASE("group commit: many threads share synced writes and every append is acknowledged once", "[ledger][group]") {
  TempDir dir;
  auto l = test::open_ledger(dir.sub("db"));
  constexpr int kThreads = 32, kEach = 40;
  std::vector<std::thread> threads;
  std::mutex mu;
  std::set<std::uint64_t> seqs;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto r = l->append(req("w/" + std::to_string(t), ExpectedVersion::Exact(static_cast<std::uint64_t>(i)),
                               {ev("T", std::to_string(i), "t" + std::to_string(t) + "-" + std::to_string(i))}));
        if (!r.ok()) {
          ++failures;
          continue;
        }
        std::lock_guard lk(mu);
        seqs.insert(r->first_sequence);
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures == 0);
  CHECK(seqs.size() == kThreads * kEach);
  CHECK(*seqs.rbegin() == kThreads * kEach);
  const auto syncs = l->stats().syncs;
  INFO("syncs: " << syncs);
  CHECK(syncs < kThreads * kEach);  // grouped: fewer syncs than appends
  for (int t = 0; t < kThreads; ++t) CHECK(l->stream_version("w/" + std::to_string(t)).value() == kEach);
  CHECK(l->verify({}).ok());
}

TEST_CASE("async appends join the group commit beside waiting callers, and each is answered once as append would", "[ledger][group][async]") {
  TempDir dir;
  auto l = test::open_ledger(dir.sub("db"));
  constexpr int kChains = 16, kThreads = 8, kEach = 30;
  std::mutex mu;
  std::condition_variable cv;
  std::map<std::uint64_t, int> answered;  // sequence -> answers
  int chains_done = 0, failures = 0;
  // Each chain appends its next event from the callback of the one before, expecting the
  // version that one left: the callback sees its append synced and its stream's head.
  std::function<void(int, int)> chain = [&](int c, int i) {
    l->append_async(req("a/" + std::to_string(c), ExpectedVersion::Exact(static_cast<std::uint64_t>(i)), {ev("T", std::to_string(i))}),
                    [&, c, i](Result<AppendResult> r) {
                      std::lock_guard lk(mu);
                      if (!r.ok() || r->stream_version != static_cast<std::uint64_t>(i + 1)) ++failures;
                      else ++answered[r->first_sequence];
                      if (i + 1 < kEach && r.ok()) return chain(c, i + 1);
                      ++chains_done;
                      cv.notify_all();
                    });
  };
  std::vector<std::thread> threads;
  for (int c = 0; c < kChains; ++c) chain(c, 0);
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto r = l->append(req("s/" + std::to_string(t), ExpectedVersion::Exact(static_cast<std::uint64_t>(i)), {ev("T", std::to_string(i))}));
        std::lock_guard lk(mu);
        if (!r.ok()) ++failures;
        else ++answered[r->first_sequence];
      }
    });
  for (auto& th : threads) th.join();
  {
    std::unique_lock lk(mu);
    REQUIRE(cv.wait_for(lk, std::chrono::seconds(60), [&] { return chains_done == kChains; }));
  }
  CHECK(failures == 0);
  const std::uint64_t total = (kChains + kThreads) * kEach;
  CHECK(answered.size() == total);
  CHECK(answered.begin()->first == 1);
  CHECK(answered.rbegin()->first == total);
  CHECK(std::all_of(answered.begin(), answered.end(), [](const auto& a) { return a.second == 1; }));
  CHECK(l->stats().syncs < total);
  CHECK(l->verify({}).ok());

  // What append refuses, append_async refuses the same way, and writes nothing.
  std::promise<Result<AppendResult>> conflict, duplicate;
  REQUIRE(l->append(req("d/1", ExpectedVersion::NoStream(), {ev("T", "x", "id-1")})).ok());
  l->append_async(req("a/0", ExpectedVersion::Exact(3), {ev("T", "late")}), [&](Result<AppendResult> r) { conflict.set_value(r); });
  l->append_async(req("d/1", ExpectedVersion::Any(), {ev("T", "x", "id-1")}), [&](Result<AppendResult> r) { duplicate.set_value(r); });
  auto c = conflict.get_future().get();
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().code() == Code::kConflict);
  auto d = duplicate.get_future().get();
  REQUIRE(d.ok());
  CHECK(d->duplicate);
  CHECK(d->first_sequence == total + 1);
  CHECK(l->head().sequence == total + 1);
}

TEST_CASE("a ledger closed with async appends queued commits and answers every one first", "[ledger][async]") {
  TempDir dir;
  constexpr int kQueued = 400;
  std::atomic<int> ok{0}, failed{0};
  {
    auto l = test::open_ledger(dir.sub("db"));
    for (int i = 0; i < kQueued; ++i)
      l->append_async(req("q/" + std::to_string(i % 7), ExpectedVersion::Any(), {ev("T", std::to_string(i), "q-" + std::to_string(i))}),
                      [&](Result<AppendResult> r) { ++(r.ok() ? ok : failed); });
  }  // closed at once
  CHECK(ok == kQueued);
  CHECK(failed == 0);
  auto l = test::open_ledger(dir.sub("db"));
  CHECK(l->head().sequence == kQueued);
  CHECK(l->verify({}).ok());

  OpenOptions ro;
  ro.read_only = true;
  l.reset();
  auto reader = test::open_ledger(dir.sub("db"), ro);
  std::promise<Result<AppendResult>> refused;
  reader->append_async(req("q/0", ExpectedVersion::Any(), {ev("T", "no")}), [&](Result<AppendResult> r) { refused.set_value(r); });
  auto r = refused.get_future().get();
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kUnavailable);
}

TEST_CASE("recorded time is the ledger's and never runs backwards; effective defaults to it", "[ledger][time]") {
  TempDir dir;
  auto l = test::open_ledger(dir.sub("db"));
  const auto before = now_us();
  auto e1 = ev("T", "1");
  auto e2 = ev("T", "2");
  e2.effective_us = 1'000'000;  // a back-dated business time
  REQUIRE(l->append(req("s", ExpectedVersion::Any(), {e1, e2})).ok());
  REQUIRE(l->append(req("s", ExpectedVersion::Any(), {ev("T", "3")})).ok());
  auto events = all(*l);
  CHECK(events[0].recorded_us >= before);
  CHECK(events[0].effective_us == events[0].recorded_us);
  CHECK(events[1].effective_us == 1'000'000);
  CHECK(events[2].recorded_us >= events[1].recorded_us);
}

TEST_CASE("reopening keeps the head and the chain continues", "[ledger]") {
  TempDir dir;
  Digest head;
  {
    auto l = test::open_ledger(dir.sub("db"));
    REQUIRE(l->append(req("s", ExpectedVersion::Any(), {ev("T", "1"), ev("T", "2")})).ok());
    head = l->head();
  }
  auto l = test::open_ledger(dir.sub("db"));
  CHECK(l->head().sequence == head.sequence);
  CHECK(l->head().hash == head.hash);
  auto r = l->append(req("s", ExpectedVersion::Exact(2), {ev("T", "3")}));
  REQUIRE(r.ok());
  CHECK(r->first_sequence == 3);
  CHECK(l->get(3)->prev_hash == head.hash);
}

TEST_CASE("a second writer waits for the lock, then fails naming the path", "[ledger][lock]") {
  TempDir dir;
  auto first = test::open_ledger(dir.sub("db"));
  OpenOptions o;
  o.wait_seconds = 0.3;
  const auto start = std::chrono::steady_clock::now();
  auto second = Ledger::Open(dir.sub("db"), o);
  const auto waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().code() == Code::kUnavailable);
  CHECK_THAT(second.status().message(), Catch::Contains(dir.sub("db")) && Catch::Contains("locked"));
  CHECK(waited >= 0.29);
}

TEST_CASE("a reader opens read-only beside a writer and sees what was written", "[ledger][readonly]") {
  TempDir dir;
  auto writer = test::open_ledger(dir.sub("db"));
  REQUIRE(writer->append(req("s", ExpectedVersion::Any(), {ev("T", "1")})).ok());
  OpenOptions ro;
  ro.read_only = true;
  auto reader = test::open_ledger(dir.sub("db"), ro);
  CHECK(reader->head().sequence == 1);
  CHECK(reader->append(req("s", ExpectedVersion::Any(), {ev("T", "2")})).status().code() == Code::kUnavailable);
  CHECK(writer->append(req("s", ExpectedVersion::Any(), {ev("T", "2")})).ok());
}

TEST_CASE("a missing ledger is unavailable for readers, tagged for the front's hint", "[ledger][readonly]") {
  TempDir dir;
  OpenOptions ro;
  ro.read_only = true;
  auto r = Ledger::Open(dir.sub("nothing-here"), ro);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kUnavailable);
  CHECK_THAT(r.status().message(), Catch::Contains("no ledger at") && Catch::Contains("nothing-here"));
  CHECK(r.status().tag() == "ledger.missing");
}

TEST_CASE("stream and actor cursors go through their indexes, in order", "[ledger][read]") {
  TempDir dir;
  auto l = test::open_ledger(dir.sub("db"));
  REQUIRE(l->append(req("a", ExpectedVersion::Any(), {ev("T", "1", "", "ana"), ev("T", "2", "", "bo")})).ok());
  REQUIRE(l->append(req("b", ExpectedVersion::Any(), {ev("T", "3", "", "ana")})).ok());
  REQUIRE(l->append(req("ab", ExpectedVersion::Any(), {ev("T", "4", "", "ana")})).ok());
  REQUIRE(l->append(req("a", ExpectedVersion::Any(), {ev("T", "5", "", "bo")})).ok());
  std::vector<std::string> payloads;
  for (auto c = l->scan_stream("a"); c->valid(); c->next()) payloads.push_back(c->event().payload);
  CHECK(payloads == std::vector<std::string>{"1", "2", "5"});
  payloads.clear();
  for (auto c = l->scan_stream("a", 2); c->valid(); c->next()) payloads.push_back(c->event().payload);
  CHECK(payloads == std::vector<std::string>{"2", "5"});
  payloads.clear();
  for (auto c = l->scan_actor("ana"); c->valid(); c->next()) payloads.push_back(c->event().payload);
  CHECK(payloads == std::vector<std::string>{"1", "3", "4"});
  std::vector<std::string> streams;
  REQUIRE(l->list_streams("", [&](const std::string& s, std::uint64_t v) {
               streams.push_back(s + "@" + std::to_string(v));
               return true;
             }).ok());
  CHECK(streams == std::vector<std::string>{"a@3", "ab@1", "b@1"});
}

// FORMAT.md defines the chain so that any program can recompute it. This test builds the
// canonical bytes from the document's table by hand, not through format.cpp.
TEST_CASE("the chain hash is SHA-256(prev || canonical bytes) exactly as FORMAT.md lays them out", "[ledger][format]") {
  TempDir dir;
  auto l = test::open_ledger(dir.sub("db"));
  NewEvent e = ev("TaskAdded", "payload-bytes", "evt-1", "ana");
  e.effective_us = 1584000000000000;
  REQUIRE(l->append(req("playbook/x", ExpectedVersion::NoStream(), {e})).ok());
  const Event got = *l->get(1);

  std::string c;
  auto u = [&](std::uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) c.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  auto s = [&](const std::string& str) {
    u(str.size(), 2);
    c += str;
  };
  u(1, 1);                       // record format
  u(1, 8);                       // sequence
  s("playbook/x");               // stream
  u(1, 8);                       // stream version
  s("evt-1");                    // event id
  s("TaskAdded");                // type
  u(1, 4);                       // schema version
  u(static_cast<std::uint64_t>(got.recorded_us), 8);
  u(1584000000000000, 8);        // effective
  s("ana");                      // actor
  auto ph = Sha256::of("payload-bytes");
  c.append(reinterpret_cast<const char*>(ph.data()), 32);
  u(13, 4);                      // payload length
  CHECK(c == format::canonical_bytes(got));
  std::string chained(32, '\0');
  chained += c;
  CHECK(Sha256::of(chained) == got.hash);
}

TEST_CASE("generated event ids are UUID v7, unique, and rise in the order they were made", "[ledger][ids]") {
  TempDir dir;
  auto l = test::open_ledger(dir.sub("db"));
  std::vector<NewEvent> batch(500, ev("T", "x"));
  REQUIRE(l->append(req("s", ExpectedVersion::Any(), batch)).ok());
  REQUIRE(l->append(req("s", ExpectedVersion::Any(), {ev("T", "y")})).ok());
  std::string prev;
  for (const auto& e : all(*l)) {
    INFO(e.event_id);
    REQUIRE(e.event_id.size() == 36);
    CHECK(e.event_id[8] == '-');
    CHECK(e.event_id[14] == '7');                                          // version 7
    CHECK(std::string("89ab").find(e.event_id[19]) != std::string::npos);  // RFC 9562 variant
    CHECK(e.event_id > prev);
    prev = e.event_id;
  }
}
