// Redis key names (docs/OPERATIONS.md "Redis keys") and reading a client id
// back out of an events key, as keyspace notifications name it.
#include "services/keys.h"

#include <doctest/doctest.h>

#include <set>
#include <string>

#include "services/cluster_slots.h"

using sp::services::Keys;

TEST_CASE("per-client keys carry the id as a hash tag, after the prefix") {
  Keys keys;
  CHECK(keys.Prefix() == "sp:");
  CHECK(keys.Events("c1") == "sp:{c1}:events");
  CHECK(keys.Dead("c1") == "sp:{c1}:dead");
  CHECK(keys.Client("c1") == "sp:{c1}:client");
  CHECK(keys.Usage("c1") == "sp:{c1}:usage");
  CHECK(keys.Presence("c1") == "sp:{c1}:presence");
  CHECK(keys.Epoch("c1") == "sp:{c1}:epoch");

  Keys tenant("t7:");
  CHECK(tenant.Events("c1") == "t7:{c1}:events");
  CHECK(tenant.Presence("c1") == "t7:{c1}:presence");
}

TEST_CASE("node-wide keys and the control channel") {
  Keys keys("app:");
  CHECK(keys.Inbound() == "app:inbound");
  // In the stream's slot: the hash tag is exactly the stream's name.
  CHECK(keys.InboundSeen("c1") == "{app:inbound}:seen:c1");
  CHECK(keys.InboundDay("c1", 20512) == "{app:inbound}:day:c1:20512");
  CHECK(Keys("").InboundSeen("c1") == "{inbound}:seen:c1");
  CHECK(keys.Nodes() == "app:nodes");
  CHECK(keys.Node("n1") == "app:node:n1");
  CHECK(keys.NodeClients("n1") == "app:node:n1:clients");
  CHECK(keys.NodeUsage("n1") == "app:usage:node:n1");
  CHECK(keys.ControlChannel() == "app:control");
}

TEST_CASE("ParseEventsKey reads the id of any events key it built") {
  for (const char* prefix : {"sp:", "", "tenant-42:", "a:b:"}) {
    Keys keys(prefix);
    for (const std::string& id : {std::string("c"), std::string("client-1"), std::string("A.b_c-9"),
                                  std::string(64, 'x')}) {
      CAPTURE(prefix);
      CAPTURE(id);
      std::string parsed;
      REQUIRE(keys.ParseEventsKey(keys.Events(id), &parsed));
      CHECK(parsed == id);
    }
  }
}

TEST_CASE("ParseEventsKey refuses every other key") {
  const char* const keys_to_refuse[] = {
      "",
      "sp:",
      "sp:{}:events",         // no id
      "sp:{c1}:dead",         // another key of the client
      "sp:{c1}:client",       //
      "sp:{c1}:events:x",     // something after the suffix
      "sp:{c1}:eventsx",      //
      "sp:{c1}events",        // no colon
      "sp:c1:events",         // no hash tag
      "sp:{c1:events",        // unclosed hash tag
      "sp:c1}:events",        //
      "sp:{a}b}:events",      // a brace inside the id
      "sp:{a{b}:events",      //
      "xx:{c1}:events",       // another prefix
      "sp{c1}:events",        // prefix cut short
      "sp:sp:{c1}:events",    // prefix twice
      "{c1}:events",          // no prefix
      " sp:{c1}:events",      // leading space
      "sp:{c1}:events ",      // trailing space
      "sp:{c1}:EVENTS",       // case matters
      "__keyevent@0__:xadd",  // a channel name, not a key
      "sp:inbound",
  };
  Keys keys;
  for (const char* key : keys_to_refuse) {
    CAPTURE(key);
    std::string id = "unchanged";
    CHECK_FALSE(keys.ParseEventsKey(key, &id));
    CHECK(id == "unchanged");
  }
}

TEST_CASE("ParseEventsKey with an empty prefix") {
  Keys keys("");
  std::string id;
  CHECK(keys.ParseEventsKey("{c1}:events", &id));
  CHECK(id == "c1");
  CHECK_FALSE(keys.ParseEventsKey("sp:{c1}:events", &id));
  CHECK_FALSE(keys.ParseEventsKey("{}:events", &id));
}

TEST_CASE(
    "sharded inbound: one shard keeps today's names; N shards spread clients, each with its "
    "dedupe and day keys in its stream's slot") {
  sp::services::Keys one("sp:");
  CHECK(one.Inbound("c1") == "sp:inbound");
  CHECK(one.InboundSeen("c1") == "{sp:inbound}:seen:c1");
  CHECK(one.Requests("query", "c1") == "sp:requests:query");
  CHECK(one.RequestsSeen("query", "c1") == "{sp:requests:query}:seen:c1");

  sp::services::Keys many("sp:", 16);
  std::set<std::string> streams;
  for (int i = 0; i < 200; ++i) {
    std::string id = "client-" + std::to_string(i);
    std::string stream = many.Inbound(id);
    CHECK(stream == many.InboundStream(many.InboundShard(id)));
    CHECK(sp::services::KeySlot(many.InboundSeen(id)) == sp::services::KeySlot(stream));
    CHECK(sp::services::KeySlot(many.InboundDay(id, 20000)) == sp::services::KeySlot(stream));
    CHECK(sp::services::KeySlot(many.RequestsSeen("m", id)) ==
          sp::services::KeySlot(many.Requests("m", id)));
    streams.insert(stream);
  }
  CHECK(streams.size() == 16);  // every shard used by 200 clients
  CHECK(many.InboundStream(3) == "sp:inbound:{3}");
  // Stable: the same client always writes to the same shard (its order holds).
  CHECK(many.InboundShard("abc") == many.InboundShard("abc"));
}
