// The session start script against a real redis-server of its own: what a
// refused client leaves untouched, what an admitted one starts, and the
// first claim of the pending list (group created only when missing).
#include "services/session_start.h"

#include <doctest/doctest.h>
#include <uv.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "crypto/keys.h"
#include "services/event_store.h"
#include "services/redis_connection.h"
#include "services/redis_reply.h"
#include "tests/support/cluster.h"

using namespace sp::services;
using namespace std::chrono_literals;
using sp::testkit::Redis;

namespace {

struct Loop {
  Loop() { REQUIRE(uv_loop_init(&loop) == 0); }
  ~Loop() {
    for (int i = 0; i < 100 && uv_run(&loop, UV_RUN_NOWAIT) != 0; ++i)
      std::this_thread::sleep_for(1ms);
    CHECK(uv_loop_close(&loop) == 0);
  }
  uv_loop_t loop;
};

RedisEndpoint EndpointOf(const Redis& redis) {
  RedisEndpoint ep;
  ep.port = redis.Port();
  return ep;
}

struct StartEnv {
  StartEnv()
      : link(&loop.loop, EndpointOf(redis), "commands"),
        starter(link, keys, "node-a"),
        store(link, keys) {
    link.Start();
    REQUIRE(RunUntil([&] { return link.IsUp(); }));
  }
  ~StartEnv() {
    bool stopped = false;
    link.Stop([&] { stopped = true; });
    CHECK(RunUntil([&] { return stopped; }));
  }
  template <class Pred>
  bool RunUntil(Pred pred) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      uv_run(&loop.loop, UV_RUN_NOWAIT);
      std::this_thread::sleep_for(1ms);
    }
    return true;
  }
  SessionStartReply Start(const std::string& client, const std::string& pk, size_t window = 64) {
    bool done = false;
    SessionStartReply out;
    starter.Start({client, pk, "00000000000001", 1000, window}, [&](SessionStartReply r) {
      done = true;
      out = std::move(r);
    });
    REQUIRE(RunUntil([&] { return done; }));
    return out;
  }
  std::vector<StreamEntry> ReadNew(const std::string& client, size_t count) {
    bool done = false;
    std::vector<StreamEntry> read;
    store.ReadNew(client, 0, count, [&](bool ok, std::vector<StreamEntry> entries, bool) {
      REQUIRE(ok);
      done = true;
      read = std::move(entries);
    });
    store.SendReads();  // reads leave in batches, as the node's loop sends them
    REQUIRE(RunUntil([&] { return done; }));
    return read;
  }
  long long DeliveryCount(const std::string& client, const std::string& id) {
    auto r = redis.Command({"XPENDING", keys.Events(client), std::string(kGroup), id, id, "1"});
    REQUIRE(r->type == REDIS_REPLY_ARRAY);
    return r->elements == 0 ? 0 : r->element[0]->element[3]->integer;
  }
  bool Exists(const std::string& key) { return redis.Integer({"EXISTS", key}) == 1; }
  std::string Pk(const sp::crypto::KeyPair& key) { return sp::crypto::PublicKeyBase64(key); }

  Redis redis;
  Loop loop;
  Keys keys;
  RedisConnection link;
  SessionStarter starter;
  EventStore store;
};

}  // namespace

TEST_CASE("a refused client gets its record and changes nothing") {
  StartEnv env;
  auto key = sp::crypto::GenerateKeyPair();
  auto other = sp::crypto::GenerateKeyPair();
  env.redis.Provision("c1", key);
  // c1 has one event delivered and unacked: delivery count 1.
  std::string id = env.redis.Xadd("c1", "t", "x");
  env.redis.Command({"XGROUP", "CREATE", env.keys.Events("c1"), std::string(kGroup), "0"});
  REQUIRE(env.ReadNew("c1", 10).size() == 1);
  REQUIRE(env.DeliveryCount("c1", id) == 1);

  SUBCASE("another key") {
    SessionStartReply r = env.Start("c1", env.Pk(other));
    CHECK_FALSE(r.started);
    CHECK(r.record.status == ClientRecord::Status::Found);
    CHECK(r.record.pk == env.Pk(key));
  }
  SUBCASE("disabled") {
    env.redis.Command({"HSET", env.keys.Client("c1"), "disabled", "1"});
    SessionStartReply r = env.Start("c1", env.Pk(key));
    CHECK_FALSE(r.started);
    CHECK(r.record.disabled);
  }
  CHECK(env.DeliveryCount("c1", id) == 1);
  CHECK_FALSE(env.Exists(env.keys.Epoch("c1")));
  CHECK_FALSE(env.Exists(env.keys.Presence("c1")));
}

TEST_CASE("an unknown client creates no stream, group or epoch") {
  StartEnv env;
  SessionStartReply r = env.Start("ghost", env.Pk(sp::crypto::GenerateKeyPair()));
  CHECK_FALSE(r.started);
  CHECK(r.record.status == ClientRecord::Status::NotFound);
  CHECK_FALSE(env.Exists(env.keys.Events("ghost")));
  CHECK_FALSE(env.Exists(env.keys.Epoch("ghost")));
  CHECK_FALSE(env.Exists(env.keys.Presence("ghost")));
}

TEST_CASE("an admitted client: record, epoch, presence, groups, and the group at 0") {
  StartEnv env;
  auto key = sp::crypto::GenerateKeyPair();
  env.redis.Provision("c2", key);
  env.redis.Command({"HSET", env.keys.Client("c2"), "quota_events_per_s", "7", "direct",
                     "group:ops", "disabled", "0"});
  env.redis.Command({"SADD", env.keys.ClientGroups("c2"), "ops"});
  // Pushed before the client ever connected: no group exists yet.
  std::vector<std::string> ids = {env.redis.Xadd("c2", "t", "1"), env.redis.Xadd("c2", "t", "2")};

  SessionStartReply r = env.Start("c2", env.Pk(key));
  REQUIRE(r.started);
  CHECK(r.record.quota.events_per_s == 7);
  CHECK(r.record.direct_policy == "group:ops");
  CHECK(r.start.epoch == 1);
  CHECK_FALSE(r.start.replaced_live_session);
  CHECK(r.start.groups == std::vector<std::string>{"ops"});
  CHECK(r.start.since_ms == 1000);
  REQUIRE(r.claimed);  // the group was created: nothing pending yet
  CHECK(r.claim.entries.empty());
  CHECK(r.claim.next_cursor == "0-0");
  CHECK(env.redis.String({"HGET", env.keys.Presence("c2"), "node"}) == "node-a");
  CHECK(env.redis.String({"HGET", env.keys.Presence("c2"), "epoch"}) == "1");
  // The group starts at 0: what was pushed before is read.
  auto read = env.ReadNew("c2", 10);
  REQUIRE(read.size() == 2);
  CHECK(read[0].id == ids[0]);

  SessionStartReply again = env.Start("c2", env.Pk(key));
  REQUIRE(again.started);
  CHECK(again.start.epoch == 2);
  CHECK(again.start.replaced_live_session);
}

TEST_CASE("the first page of the pending list is claimed with counts that include the claim") {
  StartEnv env;
  auto key = sp::crypto::GenerateKeyPair();
  env.redis.Provision("c3", key);
  env.Start("c3", env.Pk(key));  // creates the group
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(env.redis.Xadd("c3", "t", std::to_string(i)));
  REQUIRE(env.ReadNew("c3", 10).size() == 3);                  // pending, count 1 each
  env.redis.Command({"XDEL", env.keys.Events("c3"), ids[1]});  // deleted under us

  SessionStartReply r = env.Start("c3", env.Pk(key), 3);
  REQUIRE(r.claimed);
  REQUIRE(r.claim.entries.size() == 2);
  CHECK(r.claim.entries[0].id == ids[0]);
  CHECK(r.claim.entries[0].delivery_count == 2);
  CHECK(r.claim.entries[0].fields.size() == 2);
  CHECK(r.claim.entries[1].id == ids[2]);
  CHECK(r.claim.entries[1].delivery_count == 2);
  CHECK(r.claim.deleted == std::vector<std::string>{ids[1]});
  CHECK(r.claim.next_cursor == "0-0");
  CHECK(env.DeliveryCount("c3", ids[0]) == 2);

  // A page smaller than the list: the cursor says where the next claim starts.
  SessionStartReply page = env.Start("c3", env.Pk(key), 1);
  REQUIRE(page.claimed);
  REQUIRE(page.claim.entries.size() == 1);
  CHECK(page.claim.entries[0].delivery_count == 3);
  CHECK(page.claim.next_cursor == ids[2]);
}

TEST_CASE("a deleted stream gets its group back at session start") {
  StartEnv env;
  auto key = sp::crypto::GenerateKeyPair();
  env.redis.Provision("c4", key);
  env.Start("c4", env.Pk(key));
  env.redis.Command({"DEL", env.keys.Events("c4")});
  SessionStartReply r = env.Start("c4", env.Pk(key));
  REQUIRE(r.claimed);
  CHECK(r.claim.entries.empty());
  std::string id = env.redis.Xadd("c4", "t", "after");
  auto read = env.ReadNew("c4", 10);
  REQUIRE(read.size() == 1);
  CHECK(read[0].id == id);
}

TEST_CASE("a claim that fails otherwise still starts the session, without a claim") {
  StartEnv env;
  auto key = sp::crypto::GenerateKeyPair();
  env.redis.Provision("c5", key);
  env.redis.Command({"SET", env.keys.Events("c5"), "not a stream"});
  SessionStartReply r = env.Start("c5", env.Pk(key));
  CHECK(r.started);
  CHECK(r.start.epoch == 1);
  CHECK_FALSE(r.claimed);
}

TEST_CASE("Redis unreachable: the record is unavailable") {
  StartEnv env;
  env.redis.Stop();
  REQUIRE(env.RunUntil([&] { return !env.link.IsUp(); }));
  SessionStartReply r = env.Start("c6", "x");
  CHECK_FALSE(r.started);
  CHECK(r.record.status == ClientRecord::Status::Unavailable);
}
