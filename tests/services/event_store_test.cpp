// EventStore's batched work (acks, delivery counts) and claims, against a
// real redis-server of its own on a free port: what leaves Redis and when,
// and what stays queued for the next Flush().
#include "services/event_store.h"

#include <doctest/doctest.h>
#include <uv.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "services/redis_connection.h"
#include "services/redis_reply.h"
#include "services/usage.h"
#include "tests/support/cluster.h"
#include "tests/support/eventually.h"
#include "tests/support/temp_dir.h"

using namespace sp::services;
using namespace std::chrono_literals;
using sp::testkit::Eventually;
using sp::testkit::Process;
using sp::testkit::Redis;
using sp::testkit::TempDir;

namespace {

struct Loop {
  Loop() { REQUIRE(uv_loop_init(&loop) == 0); }
  ~Loop() {
    for (int i = 0; i < 100 && uv_run(&loop, UV_RUN_NOWAIT) != 0; ++i)
      std::this_thread::sleep_for(1ms);
    CHECK(uv_loop_close(&loop) == 0);  // every handle of the link was closed
  }
  uv_loop_t loop;
};

RedisEndpoint EndpointOf(const Redis& redis) {
  RedisEndpoint ep;
  ep.port = redis.Port();
  return ep;
}

// One loop, one command link and the EventStore on it, as a node wires them.
struct StoreEnv {
  explicit StoreEnv(bool connect = true)
      : link(&loop.loop, EndpointOf(redis), "commands"), store(link, keys) {
    if (connect) Connect();
  }
  ~StoreEnv() {
    bool stopped = false;
    link.Stop([&] { stopped = true; });
    CHECK(RunUntil([&] { return stopped; }));
  }
  void Connect() {
    link.Start();
    REQUIRE(RunUntil([&] { return link.IsUp(); }));
  }
  template <class Pred>
  bool RunUntil(Pred pred, std::chrono::milliseconds timeout = 10s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      uv_run(&loop.loop, UV_RUN_NOWAIT);
      std::this_thread::sleep_for(1ms);
    }
    return true;
  }
  // Runs the loop until Redis answered everything the link sent before:
  // replies come back in order.
  void Sync() {
    bool answered = false;
    REQUIRE(link.Command({"PING"}, [&](const redisReply*) { answered = true; }));
    REQUIRE(RunUntil([&] { return answered; }));
  }
  // Delivers up to `count` new entries to `client` (they become pending).
  std::vector<StreamEntry> ReadNew(const std::string& client, size_t count) {
    bool done = false;
    bool ok = false;
    std::vector<StreamEntry> read;
    store.ReadNew(client, 0, count, [&](bool success, std::vector<StreamEntry> entries, bool) {
      done = true;
      ok = success;
      read = std::move(entries);
    });
    store.SendReads();
    REQUIRE(RunUntil([&] { return done; }));
    REQUIRE(ok);
    return read;
  }
  EventStore::Claimed Claim(const std::string& client, size_t count) {
    bool done = false;
    bool ok = false;
    EventStore::Claimed claimed;
    store.ClaimPending(client, "0-0", count, [&](bool success, EventStore::Claimed c) {
      done = true;
      ok = success;
      claimed = std::move(c);
    });
    REQUIRE(RunUntil([&] { return done; }));
    REQUIRE(ok);
    return claimed;
  }

  long long Len(const std::string& client) { return redis.Integer({"XLEN", keys.Events(client)}); }
  long long Pending(const std::string& client) {
    auto r = redis.Command({"XPENDING", keys.Events(client), std::string(kGroup)});
    REQUIRE(r->type == REDIS_REPLY_ARRAY);
    return r->element[0]->integer;
  }
  // The delivery count Redis keeps for a pending entry (0 when not pending).
  long long DeliveryCount(const std::string& client, const std::string& id) {
    auto r = redis.Command({"XPENDING", keys.Events(client), std::string(kGroup), id, id, "1"});
    REQUIRE(r->type == REDIS_REPLY_ARRAY);
    return r->elements == 0 ? 0 : r->element[0]->element[3]->integer;
  }
  std::vector<std::string> Add(const std::string& client, int n) {
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) ids.push_back(redis.Xadd(client, "t", std::to_string(i)));
    return ids;
  }

  Redis redis;
  Loop loop;
  Keys keys;
  RedisConnection link;
  EventStore store;
};

}  // namespace

TEST_CASE("acks wait for Flush, then leave the pending list and the stream") {
  StoreEnv env;
  auto ids = env.Add("c1", 3);
  auto read = env.ReadNew("c1", 10);
  REQUIRE(read.size() == 3);
  CHECK(env.Pending("c1") == 3);

  env.store.Ack("c1", ids[0]);
  env.store.Ack("c1", ids[2]);
  CHECK(env.store.QueuedAcks() == 2);
  env.Sync();
  CHECK(env.Len("c1") == 3);  // nothing sent yet
  CHECK(env.Pending("c1") == 3);

  env.store.Flush();
  CHECK(env.store.QueuedAcks() == 0);
  env.Sync();
  CHECK(env.Len("c1") == 1);
  CHECK(env.Pending("c1") == 1);
  CHECK(env.DeliveryCount("c1", ids[1]) == 1);
  CHECK(env.redis.Integer({"XDEL", env.keys.Events("c1"), ids[0], ids[2]}) == 0);  // gone

  env.store.Flush();  // nothing queued: nothing happens
  env.Sync();
  CHECK(env.Len("c1") == 1);
}

TEST_CASE("one Flush carries the acks of every client") {
  StoreEnv env;
  auto a = env.Add("a", 2);
  auto b = env.Add("b", 2);
  env.ReadNew("a", 10);
  env.ReadNew("b", 10);
  for (const auto& id : a) env.store.Ack("a", id);
  env.store.Ack("b", b[1]);
  CHECK(env.store.QueuedAcks() == 3);
  env.store.Flush();
  env.Sync();
  CHECK(env.Len("a") == 0);
  CHECK(env.Pending("a") == 0);
  CHECK(env.Len("b") == 1);
  CHECK(env.Pending("b") == 1);
}

TEST_CASE("ten thousand acks in one Flush all leave Redis (under Lua's argument limit)") {
  StoreEnv env;
  const std::string key = env.keys.Events("many");
  env.redis.Command(
      {"EVAL", "for i = 1, 10000 do redis.call('XADD', KEYS[1], '*', 'n', i) end", "1", key});
  REQUIRE(env.Len("many") == 10000);
  auto read = env.ReadNew("many", 10000);
  REQUIRE(read.size() == 10000);
  for (const StreamEntry& e : read) env.store.Ack("many", e.id);
  CHECK(env.store.QueuedAcks() == 10000);
  env.store.Flush();
  env.Sync();
  CHECK(env.store.QueuedAcks() == 0);
  CHECK(env.Len("many") == 0);
  CHECK(env.Pending("many") == 0);
}

TEST_CASE("acks taken while the link is down stay queued until a Flush with the link up") {
  StoreEnv env(/*connect=*/false);
  auto ids = env.Add("off", 3);
  env.redis.Command({"XGROUP", "CREATE", env.keys.Events("off"), std::string(kGroup), "0"});
  env.redis.Command(
      {"XREADGROUP", "GROUP", std::string(kGroup), "off", "STREAMS", env.keys.Events("off"), ">"});
  REQUIRE(env.Pending("off") == 3);

  env.store.Ack("off", ids[0]);
  env.store.Ack("off", ids[1]);
  env.store.Flush();
  CHECK(env.store.QueuedAcks() == 2);

  env.Connect();
  env.store.Ack("off", ids[2]);
  CHECK(env.store.QueuedAcks() == 3);
  env.store.Flush();
  env.Sync();
  CHECK(env.store.QueuedAcks() == 0);
  CHECK(env.Len("off") == 0);
  CHECK(env.Pending("off") == 0);
}

TEST_CASE("an ack Redis refuses for a while (BUSY) is queued again, a lasting refusal is not") {
  StoreEnv env;
  auto ids = env.Add("busy", 2);
  env.ReadNew("busy", 10);

  SUBCASE("BUSY: a script runs too long") {
    env.redis.Command({"CONFIG", "SET", "busy-reply-threshold", "50"});
    TempDir dir;
    Process script(
        {"redis-cli", "-p", std::to_string(env.redis.Port()), "EVAL", "while true do end", "0"},
        dir.File("script"));
    auto busy = [&] {
      auto r = env.redis.Command({"PING"});
      return r->type == REDIS_REPLY_ERROR && ReplyText(r.get()).substr(0, 4) == "BUSY";
    };
    REQUIRE(Eventually(busy));
    for (const auto& id : ids) env.store.Ack("busy", id);
    env.store.Flush();
    CHECK(env.store.QueuedAcks() == 0);
    // The refusal puts them back for the next Flush.
    CHECK(env.RunUntil([&] { return env.store.QueuedAcks() == 2; }));

    REQUIRE(ReplyText(env.redis.Command({"SCRIPT", "KILL"}).get()) == "OK");
    REQUIRE(Eventually([&] { return !busy(); }));
    CHECK(env.Len("busy") == 2);  // nothing was removed
    env.store.Flush();
    env.Sync();
    CHECK(env.store.QueuedAcks() == 0);
    CHECK(env.Len("busy") == 0);
    CHECK(env.Pending("busy") == 0);
  }
  SUBCASE("WRONGTYPE: the key is not a stream") {
    env.redis.Command({"SET", env.keys.Events("wrong"), "x"});
    env.store.Ack("wrong", "1-0");
    // In the same script call as another client's acks, which still land.
    for (const auto& id : ids) env.store.Ack("busy", id);
    env.store.Flush();
    env.Sync();
    CHECK(env.store.QueuedAcks() == 0);  // dropped, not retried forever
    env.store.Flush();
    env.Sync();
    CHECK(env.redis.String({"GET", env.keys.Events("wrong")}) == "x");
    CHECK(env.Len("busy") == 0);
    CHECK(env.Pending("busy") == 0);
  }
}

TEST_CASE("CountRedelivery sets Redis' delivery count at Flush, a claim counts one more") {
  StoreEnv env;
  auto ids = env.Add("re", 2);
  env.ReadNew("re", 10);
  REQUIRE(env.DeliveryCount("re", ids[0]) == 1);

  env.store.CountRedelivery("re", ids[0], 3);
  env.Sync();
  CHECK(env.DeliveryCount("re", ids[0]) == 1);  // batched
  CHECK(env.store.QueuedAcks() == 0);           // and not an ack
  env.store.Flush();
  env.Sync();
  CHECK(env.DeliveryCount("re", ids[0]) == 3);
  CHECK(env.DeliveryCount("re", ids[1]) == 1);
  CHECK(env.Len("re") == 2);  // still there: only acks remove

  // A new session claims both: each claim is one more delivery.
  auto claimed = env.Claim("re", 10);
  REQUIRE(claimed.entries.size() == 2);
  CHECK(claimed.entries[0].id == ids[0]);
  CHECK(claimed.entries[0].delivery_count == 4);
  CHECK(claimed.entries[1].id == ids[1]);
  CHECK(claimed.entries[1].delivery_count == 2);
  CHECK(claimed.entries[0].fields == sp::proto::EventFields{{"type", "t"}, {"data", "0"}});
  CHECK(claimed.next_cursor == "0-0");
  CHECK(claimed.deleted.empty());
}

TEST_CASE("a claim reports pending entries deleted from the stream meanwhile") {
  StoreEnv env;
  auto ids = env.Add("del", 3);
  env.ReadNew("del", 10);
  env.redis.Command({"XDEL", env.keys.Events("del"), ids[1]});
  auto claimed = env.Claim("del", 10);
  REQUIRE(claimed.entries.size() == 2);
  CHECK(claimed.entries[0].id == ids[0]);
  CHECK(claimed.entries[1].id == ids[2]);
  CHECK(claimed.deleted == std::vector<std::string>{ids[1]});
}

TEST_CASE("a dead letter moves the event in one transaction, even with thousands of fields") {
  StoreEnv env;
  for (size_t fields : {size_t{2}, size_t{5000}}) {
    CAPTURE(fields);
    std::string client = "dl-" + std::to_string(fields);
    env.Add(client, 1);  // creates the stream; the group comes with the first read
    std::vector<StreamEntry> read = env.ReadNew(client, 10);
    REQUIRE(read.size() == 1);
    StreamEntry entry = read[0];
    for (size_t i = entry.fields.size(); i < fields; ++i)
      entry.fields.emplace_back(std::string("f").append(std::to_string(i)), "v");
    bool done = false;
    bool ok = false;
    env.store.DeadLetter(client, entry, "max_attempts", 5, [&](bool success) {
      done = true;
      ok = success;
    });
    REQUIRE(env.RunUntil([&] { return done; }));
    CHECK(ok);
    CHECK(env.Len(client) == 0);
    CHECK(env.Pending(client) == 0);
    auto dead = env.redis.Command({"XRANGE", env.keys.Dead(client), "-", "+"});
    REQUIRE(dead->elements == 1);
    // Every field of the event, then eventId, reason, attempts, deadAt.
    CHECK(dead->element[0]->element[1]->elements == 2 * (4 + std::max<size_t>(fields, 2)));
  }
}

TEST_CASE("a producer's field named like a dead-letter field cannot shadow the server's") {
  StoreEnv env;
  env.redis.Command(
      {"XADD", env.keys.Events("shadow"), "*", "type", "t", "reason", "forged", "eventId", "0-1"});
  std::vector<StreamEntry> read = env.ReadNew("shadow", 10);
  REQUIRE(read.size() == 1);
  bool done = false;
  env.store.DeadLetter("shadow", read[0], "max_attempts", 5, [&](bool) { done = true; });
  REQUIRE(env.RunUntil([&] { return done; }));
  auto dead = env.redis.Command({"XRANGE", env.keys.Dead("shadow"), "-", "+"});
  REQUIRE(dead->elements == 1);
  const redisReply* body = dead->element[0]->element[1];
  // A reader that keeps the last value of a repeated name sees the server's.
  std::map<std::string, std::string> last;
  for (size_t i = 0; i + 1 < body->elements; i += 2)
    last[body->element[i]->str] = body->element[i + 1]->str;
  CHECK(last["reason"] == "max_attempts");
  CHECK(last["eventId"] == read[0].id);
}

// ---- Batched reads (services/stream_reader.h) ----------------------------------

namespace {

struct Read {
  bool done = false;
  bool ok = false;
  bool fenced = false;
  std::vector<StreamEntry> entries;
};

void Ask(StoreEnv& env, const std::string& client, size_t count, Read* into, uint64_t epoch = 0) {
  env.store.ReadNew(client, epoch, count,
                    [into](bool ok, std::vector<StreamEntry> entries, bool fenced) {
                      into->done = true;
                      into->ok = ok;
                      into->fenced = fenced;
                      into->entries = std::move(entries);
                    });
}

// Script calls, whether by text or by SHA1.
long long ScriptCalls(StoreEnv& env);

long long Calls(StoreEnv& env, const std::string& command) {
  auto r = env.redis.Command({"INFO", "commandstats"});
  std::string text(ReplyText(r.get()));
  std::string tag = "cmdstat_" + command + ":calls=";
  size_t at = text.find(tag);
  return at == std::string::npos ? 0 : std::stoll(text.substr(at + tag.size()));
}

}  // namespace

TEST_CASE("the reads asked for in one loop iteration leave as one script call") {
  StoreEnv env;
  auto a = env.Add("a", 2);
  auto b = env.Add("b", 1);
  env.Add("quiet", 1);
  env.ReadNew("quiet", 10);              // its stream and group exist, nothing new in it
  for (const char* client : {"a", "b"})  // as a session start leaves them
    env.redis.Command({"XGROUP", "CREATE", env.keys.Events(client), std::string(kGroup), "0"});
  long long before = ScriptCalls(env);

  Read ra, rb, rq;
  Ask(env, "a", 10, &ra);
  Ask(env, "b", 10, &rb);
  Ask(env, "quiet", 10, &rq);
  env.Sync();
  CHECK_FALSE(ra.done);  // queued until SendReads
  env.store.SendReads();
  REQUIRE(env.RunUntil([&] { return ra.done && rb.done && rq.done; }));
  CHECK(ScriptCalls(env) == before + 1);
  CHECK(ra.ok);
  REQUIRE(ra.entries.size() == 2);
  CHECK(ra.entries[0].id == a[0]);
  CHECK(ra.entries[1].id == a[1]);
  CHECK(ra.entries[0].delivery_count == 1);
  REQUIRE(rb.entries.size() == 1);
  CHECK(rb.entries[0].id == b[0]);
  CHECK(rq.ok);
  CHECK(rq.entries.empty());
  CHECK(env.Pending("a") == 2);
  CHECK(env.Pending("b") == 1);
}

TEST_CASE("batched reads: counts are kept per read, a stream deleted meanwhile is recreated") {
  StoreEnv env;
  env.Add("small", 5);
  env.Add("big", 5);
  env.Add("gone", 1);
  env.ReadNew("gone", 10);
  env.redis.Command({"DEL", env.keys.Events("gone")});  // stream and group vanish

  Read small, big, gone;
  Ask(env, "small", 2, &small);
  Ask(env, "big", 10, &big);
  Ask(env, "gone", 10, &gone);
  env.store.SendReads();
  REQUIRE(env.RunUntil([&] { return small.done && big.done && gone.done; }));
  CHECK(small.ok);
  CHECK(small.entries.size() == 2);
  CHECK(big.entries.size() == 5);
  CHECK(gone.ok);
  CHECK(gone.entries.empty());
  // The group is back: events pushed now reach the next read.
  auto fresh = env.Add("gone", 1);
  CHECK(env.ReadNew("gone", 10).size() == 1);
}

TEST_CASE("batched reads: the same stream twice in one iteration reads twice, in order") {
  StoreEnv env;
  auto ids = env.Add("twice", 3);
  Read first, second;
  Ask(env, "twice", 2, &first);
  Ask(env, "twice", 2, &second);
  env.store.SendReads();
  REQUIRE(env.RunUntil([&] { return first.done; }));
  CHECK(first.entries.size() == 2);
  CHECK_FALSE(second.done);  // waits for the next batch
  env.store.SendReads();
  REQUIRE(env.RunUntil([&] { return second.done; }));
  REQUIRE(second.entries.size() == 1);
  CHECK(second.entries[0].id == ids[2]);
}

TEST_CASE("batched reads: Redis away fails every read of the batch") {
  StoreEnv env(/*connect=*/false);
  Read r1, r2;
  Ask(env, "x", 10, &r1);
  Ask(env, "y", 10, &r2);
  env.store.SendReads();
  CHECK(r1.done);
  CHECK_FALSE(r1.ok);
  CHECK(r2.done);
  CHECK_FALSE(r2.ok);
}

// ---- Usage counters (services/usage.h) ------------------------------------------

TEST_CASE("a usage flush writes every client's counters, 256 hashes per script call") {
  StoreEnv env;
  Usage usage(env.link, env.keys, "node-a");
  const int kClients = 600;  // three calls
  for (int i = 0; i < kClients; ++i) {
    std::string client = std::string("u").append(std::to_string(i));
    usage.Add(client, Counter::Delivered, 2);
    usage.Add(client, Counter::Acked, static_cast<uint64_t>(i));
  }
  long long before = Calls(env, "evalsha") + Calls(env, "eval");
  usage.Flush();
  env.Sync();
  CHECK(Calls(env, "evalsha") + Calls(env, "eval") - before == 3 + 1);  // + the node's hash
  for (int i : {0, 255, 256, 599}) {
    std::string key = env.keys.Usage(std::string("u").append(std::to_string(i)));
    CHECK(env.redis.String({"HGET", key, "delivered"}) == "2");
    // A zero count is not written at all.
    CHECK(env.redis.String({"HGET", key, "acked"}) == (i == 0 ? "" : std::to_string(i)));
    CHECK(std::stoll(env.redis.String({"HGET", key, "last_seen"})) > 0);
  }
  CHECK(env.redis.String({"HGET", env.keys.NodeUsage("node-a"), "delivered"}) == "1200");
  // Counts add up across flushes.
  usage.Add("u1", Counter::Delivered, 3);
  usage.Flush();
  env.Sync();
  CHECK(env.redis.String({"HGET", env.keys.Usage("u1"), "delivered"}) == "5");
}

TEST_CASE("a claim without the group creates it (at 0) and claims again") {
  StoreEnv env;
  auto ids = env.Add("c9", 2);  // pushed before any group exists
  EventStore::Claimed claimed = env.Claim("c9", 10);
  CHECK(claimed.entries.empty());
  CHECK(claimed.next_cursor == "0-0");
  // The group starts at 0: what was there before is read.
  auto read = env.ReadNew("c9", 10);
  REQUIRE(read.size() == 2);
  CHECK(read[0].id == ids[0]);
  // With the group in place no XGROUP CREATE is sent at all.
  CHECK(Calls(env, "xgroup|create") == 1);
  env.Claim("c9", 10);
  CHECK(Calls(env, "xgroup|create") == 1);
}

namespace {
long long ScriptCalls(StoreEnv& env) {
  return Calls(env, "eval") + Calls(env, "evalsha");
}
}  // namespace

TEST_CASE("session fence: a read for an older epoch reads nothing and leaves the entry unread") {
  StoreEnv env;
  auto ids = env.Add("f", 2);
  env.redis.Command({"XGROUP", "CREATE", env.keys.Events("f"), std::string(kGroup), "0"});
  env.redis.Command({"SET", env.keys.Epoch("f"), "7"});  // a newer session took epoch 7

  Read stale;
  Ask(env, "f", 10, &stale, /*epoch=*/6);
  env.store.SendReads();
  REQUIRE(env.RunUntil([&] { return stale.done; }));
  CHECK(stale.ok);
  CHECK(stale.fenced);
  CHECK(stale.entries.empty());
  CHECK(env.Pending("f") == 0);  // nothing stuck in the pending list behind the newer session

  Read current;
  Ask(env, "f", 10, &current, /*epoch=*/7);
  env.store.SendReads();
  REQUIRE(env.RunUntil([&] { return current.done; }));
  CHECK_FALSE(current.fenced);
  REQUIRE(current.entries.size() == 2);
  CHECK(current.entries[0].id == ids[0]);
  CHECK(env.Pending("f") == 2);
}

TEST_CASE("session fence: fenced and current sessions share one call without harm") {
  StoreEnv env;
  env.Add("old", 1);
  auto fresh = env.Add("new", 1);
  for (const char* client : {"old", "new"}) {
    env.redis.Command({"XGROUP", "CREATE", env.keys.Events(client), std::string(kGroup), "0"});
    env.redis.Command({"SET", env.keys.Epoch(client), "3"});
  }
  Read old_read, new_read;
  Ask(env, "old", 10, &old_read, 2);
  Ask(env, "new", 10, &new_read, 3);
  env.store.SendReads();
  REQUIRE(env.RunUntil([&] { return old_read.done && new_read.done; }));
  CHECK(old_read.fenced);
  CHECK(env.Pending("old") == 0);
  CHECK_FALSE(new_read.fenced);
  REQUIRE(new_read.entries.size() == 1);
  CHECK(new_read.entries[0].id == fresh[0]);
}

TEST_CASE("session fence: an epoch key lost with Redis' data is set back by the reader") {
  StoreEnv env;
  env.Add("lost", 1);
  env.redis.Command({"XGROUP", "CREATE", env.keys.Events("lost"), std::string(kGroup), "0"});
  Read r;
  Ask(env, "lost", 10, &r, 5);
  env.store.SendReads();
  REQUIRE(env.RunUntil([&] { return r.done; }));
  CHECK_FALSE(r.fenced);
  CHECK(r.entries.size() == 1);
  CHECK(env.redis.String({"GET", env.keys.Epoch("lost")}) == "5");
  // A session starting now INCRs past it and fences the reader.
  CHECK(env.redis.Integer({"INCR", env.keys.Epoch("lost")}) == 6);
  env.Add("lost", 1);
  Read again;
  Ask(env, "lost", 10, &again, 5);
  env.store.SendReads();
  REQUIRE(env.RunUntil([&] { return again.done; }));
  CHECK(again.fenced);
}
