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

#include "services/redis_link.h"
#include "services/redis_reply.h"
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
    store.ReadNew(client, count, [&](bool success, std::vector<StreamEntry> entries) {
      done = true;
      ok = success;
      read = std::move(entries);
    });
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
  RedisLink link;
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
    env.store.Flush();
    env.Sync();
    CHECK(env.store.QueuedAcks() == 0);  // dropped, not retried forever
    env.store.Flush();
    env.Sync();
    CHECK(env.redis.String({"GET", env.keys.Events("wrong")}) == "x");
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
  auto stats = env.redis.Command({"INFO", "commandstats"});
  std::string text(stats->str, stats->len);
  CHECK(text.find("cmdstat_xgroup|create:calls=1,") != std::string::npos);
  env.Claim("c9", 10);
  stats = env.redis.Command({"INFO", "commandstats"});
  text.assign(stats->str, stats->len);
  CHECK(text.find("cmdstat_xgroup|create:calls=1,") != std::string::npos);
}
