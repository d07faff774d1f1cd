// Redis Cluster key routing against the specification's values and against
// a real cluster-enabled redis-server's CLUSTER KEYSLOT, and the slot map
// parsed from real CLUSTER SLOTS replies.
#include "services/cluster_slots.h"

#include <doctest/doctest.h>
#include <hiredis/hiredis.h>

#include <chrono>
#include <random>
#include <string>
#include <thread>

#include "services/keys.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

using namespace sp::services;
using namespace std::chrono_literals;

namespace {

using Reply = std::unique_ptr<redisReply, void (*)(void*)>;

// One cluster-enabled redis-server on a free port (no slots assigned unless
// a test adds them).
struct ClusterRedis {
  // A cluster node also listens on its bus port (port + 10000), which
  // FreePort() does not check: a start that fails is tried on another port.
  ClusterRedis() {
    for (int attempt = 0; attempt < 10 && c == nullptr; ++attempt) {
      port = sp::testkit::FreePort();
      if (port > 55535) continue;
      redis =
          sp::testkit::Process({"redis-server", "--port", std::to_string(port), "--bind",
                                "127.0.0.1", "--cluster-enabled", "yes", "--cluster-config-file",
                                dir.File("nodes-" + std::to_string(port) + ".conf"), "--dir",
                                dir.Path(), "--save", "", "--appendonly", "no"},
                               dir.File("redis"));
      for (int i = 0; i < 100 && c == nullptr && redis.Running(); ++i) {
        redisContext* ctx = redisConnect("127.0.0.1", port);
        if (ctx != nullptr && ctx->err == 0) {
          c = ctx;
          break;
        }
        if (ctx != nullptr) redisFree(ctx);
        std::this_thread::sleep_for(20ms);
      }
    }
    REQUIRE(c != nullptr);
  }
  ~ClusterRedis() {
    if (c != nullptr) redisFree(c);
    redis.Stop();
  }
  Reply Command(const std::vector<std::string>& argv) {
    std::vector<const char*> args;
    std::vector<size_t> lens;
    for (const auto& a : argv) {
      args.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* r = static_cast<redisReply*>(
        redisCommandArgv(c, static_cast<int>(args.size()), args.data(), lens.data()));
    REQUIRE(r != nullptr);
    return Reply(r, freeReplyObject);
  }

  sp::testkit::TempDir dir;
  int port = 0;
  sp::testkit::Process redis;
  redisContext* c = nullptr;
};

}  // namespace

TEST_CASE("cluster slots: CRC16 and hash tags as the Redis Cluster specification gives them") {
  CHECK(Crc16("123456789") == 0x31C3);
  CHECK(KeySlot("foo") == 12182);
  CHECK(KeySlot("{user1000}.following") == KeySlot("{user1000}.followers"));
  CHECK(HashTag("foo{}{bar}") == "foo{}{bar}");  // empty first tag: the whole key
  CHECK(HashTag("foo{{bar}}zap") == "{bar");
  CHECK(HashTag("foo{bar}{zap}") == "bar");
  CHECK(HashTag("{") == "{");
  // Every key of one client shares a slot.
  Keys keys;
  const uint16_t slot = KeySlot(keys.Events("device-7"));
  for (const std::string& key :
       {keys.Client("device-7"), keys.Presence("device-7"), keys.Epoch("device-7"),
        keys.Usage("device-7"), keys.Seen("device-7"), keys.ClientGroups("device-7")})
    CHECK(KeySlot(key) == slot);
}

TEST_CASE("cluster slots: KeySlot agrees with redis-server's CLUSTER KEYSLOT") {
  ClusterRedis redis;
  std::mt19937 rng(3);
  const std::string alphabet = "abcxyz019{}:-_ \x01\xff";
  for (int i = 0; i < 2000; ++i) {
    std::string key;
    size_t len = rng() % 24;
    for (size_t k = 0; k < len; ++k) key.push_back(alphabet[rng() % alphabet.size()]);
    Reply r = redis.Command({"CLUSTER", "KEYSLOT", key});
    REQUIRE(r->type == REDIS_REPLY_INTEGER);
    CAPTURE(key);
    CHECK(KeySlot(key) == r->integer);
  }
}

TEST_CASE("cluster slots: the map from a real CLUSTER SLOTS reply, and MOVED") {
  ClusterRedis redis;
  SlotMap map;
  std::string error;
  // No slots assigned yet: the map refuses to leave slots without a primary.
  CHECK_FALSE(map.Parse(redis.Command({"CLUSTER", "SLOTS"}).get(), &error));
  CHECK(error.find("no primary") != std::string::npos);
  CHECK(map.Empty());
  CHECK_FALSE(map.NodeOf(0));

  REQUIRE(redis.Command({"CLUSTER", "ADDSLOTSRANGE", "0", "16383"})->type == REDIS_REPLY_STATUS);
  Reply slots = redis.Command({"CLUSTER", "SLOTS"});
  REQUIRE(map.Parse(slots.get(), &error));
  REQUIRE(map.Nodes().size() == 1);
  CHECK(map.Nodes()[0].port == redis.port);
  CHECK(map.NodeOf(0) == 0u);
  CHECK(map.NodeOf(16383) == 0u);

  map.Move(12182, {"127.0.0.1", 7001});
  REQUIRE(map.Nodes().size() == 2);
  CHECK(map.NodeOf(12182) == 1u);
  CHECK(map.NodeOf(12181) == 0u);
  map.Move(12183, {"127.0.0.1", 7001});  // a known node is not added twice
  CHECK(map.Nodes().size() == 2);

  // A reply that is not a slot list leaves the map as it was.
  CHECK_FALSE(map.Parse(redis.Command({"PING"}).get(), &error));
  CHECK(map.Nodes().size() == 2);
}

TEST_CASE("cluster slots: the key a command is routed by") {
  using V = std::vector<std::string_view>;
  using sp::services::CommandKey;
  CHECK(CommandKey(V{"XADD", "sp:{a}:events", "*", "f", "v"}) == "sp:{a}:events");
  CHECK(CommandKey(V{"EVALSHA", "abc", "2", "sp:{a}:events", "sp:{a}:epoch", "x"}) ==
        "sp:{a}:events");
  CHECK(CommandKey(V{"eval", "return 1", "1", "k"}) == "k");
  CHECK_FALSE(CommandKey(V{"EVAL", "return 1", "0"}).has_value());
  CHECK(CommandKey(V{"XREADGROUP", "GROUP", "g", "c", "COUNT", "5", "STREAMS", "s1", "s2", ">",
                     ">"}) == "s1");
  CHECK(CommandKey(V{"XGROUP", "CREATE", "s", "g", "0"}) == "s");
  for (V keyless : {V{"PING"}, V{"CONFIG", "GET", "x"}, V{"SCRIPT", "LOAD", "t"},
                    V{"PUBLISH", "sp:control", "m"}, V{"WAIT", "1", "0"}, V{"CLUSTER", "SLOTS"}}) {
    CAPTURE(keyless[0]);
    CHECK_FALSE(CommandKey(keyless).has_value());
  }
}

TEST_CASE("cluster slots: a MOVED reply's slot and node, and replicas in the map") {
  // [[0, 16383, ["10.0.0.1", 7000, "id1"], ["10.0.0.2", 7001, "id2"]]]
  redisReply node1_host{}, node1_port{}, node2_host{}, node2_port{}, first{}, last{};
  char h1[] = "10.0.0.1", h2[] = "";
  node1_host.type = node2_host.type = REDIS_REPLY_STRING;
  node1_host.str = h1;
  node1_host.len = sizeof(h1) - 1;
  node2_host.str = h2;  // no host: the node that answered
  node2_host.len = 0;
  node1_port.type = node2_port.type = first.type = last.type = REDIS_REPLY_INTEGER;
  node1_port.integer = 7000;
  node2_port.integer = 7001;
  first.integer = 0;
  last.integer = 16383;
  redisReply* n1_elems[] = {&node1_host, &node1_port};
  redisReply* n2_elems[] = {&node2_host, &node2_port};
  redisReply n1{}, n2{};
  n1.type = n2.type = REDIS_REPLY_ARRAY;
  n1.element = n1_elems;
  n1.elements = 2;
  n2.element = n2_elems;
  n2.elements = 2;
  redisReply* range_elems[] = {&first, &last, &n1, &n2};
  redisReply range{};
  range.type = REDIS_REPLY_ARRAY;
  range.element = range_elems;
  range.elements = 4;
  redisReply* top_elems[] = {&range};
  redisReply top{};
  top.type = REDIS_REPLY_ARRAY;
  top.element = top_elems;
  top.elements = 1;
  sp::services::SlotMap map;
  std::string error;
  REQUIRE(map.Parse(&top, &error, "10.9.9.9"));
  REQUIRE(map.Nodes().size() == 1);
  CHECK(map.Nodes()[0].port == 7000);
  REQUIRE(map.Replicas().size() == 1);
  CHECK(map.Replicas()[0].host == "10.9.9.9");
  CHECK(map.Replicas()[0].port == 7001);
}
