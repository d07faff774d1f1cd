// The Redis Cluster and Sentinel harnesses (tests/support/redis_cluster.h,
// redis_sentinel.h) against real redis-server processes: what the cluster
// client's tests rely on them for, each checked with Redis's own answers.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <string>

#include "tests/support/redis_cluster.h"
#include "tests/support/redis_sentinel.h"

using namespace sp::testkit;
using namespace std::chrono_literals;

namespace {

std::string Text(const RedisReplyPtr& r) {
  return ReplyText(r.get());
}

std::string Text(const redisReply* r) {
  return ReplyText(r);
}

std::string Moved(int slot, int port) {
  return "MOVED " + std::to_string(slot) + " 127.0.0.1:" + std::to_string(port);
}

}  // namespace

TEST_CASE("redis topologies: a cluster of 3 primaries covers every slot and routes keys") {
  RedisCluster cluster;
  INFO(cluster.Logs());
  auto ports = cluster.Ports();
  REQUIRE(ports.size() == 3);
  auto primaries = cluster.PrimaryPorts();
  std::sort(primaries.begin(), primaries.end());
  std::sort(ports.begin(), ports.end());
  CHECK(primaries == ports);
  std::string map = cluster.SlotMap(ports[0]);
  for (int port : ports) {
    std::string info = Text(cluster.Command(port, {"CLUSTER", "INFO"}));
    CHECK(InfoValue(info, "cluster_state") == "ok");
    CHECK(InfoValue(info, "cluster_slots_assigned") == "16384");
    CHECK(InfoValue(info, "cluster_known_nodes") == "3");
    CHECK(cluster.SlotMap(port) == map);
    CHECK(cluster.SlotsOf(port).size() > 5000);  // about a third each
    std::string url = cluster.Url();
    CHECK(url.find("127.0.0.1:" + std::to_string(port)) != std::string::npos);
  }
  CHECK(cluster.Url().rfind("redis+cluster://127.0.0.1:", 0) == 0);

  // One key on each primary, written through redirects from the first node.
  for (int owner : primaries) {
    int slot = cluster.SlotsOf(owner).at(7);
    std::string key = cluster.KeyInSlot(slot);
    CHECK(cluster.PrimaryForKey(key) == owner);
    CHECK(Text(cluster.ClusterCommand({"SET", key, std::to_string(owner)})) == "OK");
    CHECK(Text(cluster.Command(owner, {"GET", key})) == std::to_string(owner));
    int other = owner == primaries[0] ? primaries[1] : primaries[0];
    CHECK(Text(cluster.Command(other, {"GET", key})) == Moved(slot, owner));
    CHECK(cluster.String({"GET", key}) == std::to_string(owner));
  }

  // The sealpost keys of one client share its hash tag, so one node.
  auto key = sp::crypto::GenerateKeyPair();
  cluster.Provision("alice", key);
  std::string id = cluster.Xadd("alice", "note", "hello");
  CHECK(id.find('-') != std::string::npos);
  int node = cluster.PrimaryForKey("sp:{alice}:events");
  CHECK(cluster.PrimaryForKey("sp:{alice}:client") == node);
  CHECK(cluster.Integer({"XLEN", "sp:{alice}:events"}) == 1);
  CHECK(Text(cluster.Command(node, {"HGET", "sp:{alice}:client", "pk"})) ==
        sp::crypto::PublicKeyBase64(key));
}

TEST_CASE("redis topologies: killing a primary of a 3x1 cluster promotes its replica") {
  RedisCluster cluster(3, 1);
  INFO(cluster.Logs());
  REQUIRE(cluster.Ports().size() == 6);
  auto primaries = cluster.PrimaryPorts();
  REQUIRE(primaries.size() == 3);
  for (int p : primaries) CHECK(cluster.ReplicaPorts(p).size() == 1);

  std::string stream = "sp:{failover}:events";
  int old_primary = cluster.PrimaryForKey(stream);
  REQUIRE(cluster.ReplicaPorts(old_primary).size() == 1);
  int replica = cluster.ReplicaPorts(old_primary)[0];
  // WAIT on the connection that wrote: the entry is on the replica when it says 1.
  auto replies = cluster.Commands(
      old_primary, {{"XADD", stream, "*", "type", "t", "data", "acked"}, {"WAIT", "1", "5000"}});
  std::string id = Text(replies[0]);
  REQUIRE(replies[1]->type == REDIS_REPLY_INTEGER);
  REQUIRE(replies[1]->integer == 1);

  CHECK_THROWS_AS(cluster.Kill9Primary(replica), std::invalid_argument);  // not a primary
  cluster.Kill9Primary(old_primary);
  int promoted = cluster.WaitForFailover(old_primary, 15s);
  REQUIRE(promoted == replica);
  CHECK(cluster.LivePorts().size() == 5);
  CHECK(cluster.PrimaryForKey(stream) == replica);
  auto role = cluster.Command(replica, {"ROLE"});
  REQUIRE(role->type == REDIS_REPLY_ARRAY);
  CHECK(Text(role->element[0]) == "master");
  auto range = cluster.ClusterCommand({"XRANGE", stream, "-", "+"});
  REQUIRE(range->type == REDIS_REPLY_ARRAY);
  REQUIRE(range->elements == 1);
  CHECK(Text(range->element[0]->element[0]) == id);
  CHECK(cluster.Xadd("failover", "t", "after").find('-') != std::string::npos);

  // Back with its nodes.conf, the old primary rejoins as the new one's replica.
  cluster.Restart(old_primary);
  REQUIRE(cluster.WaitForStable());
  CHECK(cluster.ReplicaPorts(replica) == std::vector<int>{old_primary});
}

TEST_CASE("redis topologies: Reshard moves slots and their keys to another primary") {
  RedisCluster cluster;
  auto primaries = cluster.PrimaryPorts();
  int from = primaries[0], to = primaries[1];
  auto from_slots = cluster.SlotsOf(from);
  size_t to_before = cluster.SlotsOf(to).size();
  // One key in every slot of the source: each moved slot takes exactly one.
  std::vector<std::vector<std::string>> sets;
  for (const auto& k : cluster.KeysInSlots(from_slots)) sets.push_back({"SET", k, "x"});
  cluster.Commands(from, sets);
  long long from_keys = cluster.Command(from, {"DBSIZE"})->integer;
  REQUIRE(from_keys == static_cast<long long>(from_slots.size()));

  INFO(cluster.Logs());
  cluster.Reshard(from, to, 100);
  CHECK(cluster.SlotsOf(from).size() == from_slots.size() - 100);
  CHECK(cluster.SlotsOf(to).size() == to_before + 100);
  CHECK(cluster.Command(from, {"DBSIZE"})->integer == from_keys - 100);
  CHECK(cluster.Command(to, {"DBSIZE"})->integer == 100);
  for (int port : cluster.Ports()) CHECK(cluster.SlotMap(port) == cluster.SlotMap(from));
  auto now_to = cluster.SlotsOf(to);
  int moved = -1;
  for (int s : from_slots)
    if (std::find(now_to.begin(), now_to.end(), s) != now_to.end()) moved = s;
  REQUIRE(moved >= 0);
  std::string key = cluster.KeyInSlot(moved);
  CHECK(Text(cluster.Command(from, {"GET", key})) == Moved(moved, to));
  CHECK(Text(cluster.Command(to, {"GET", key})) == "x");
}

TEST_CASE("redis topologies: a slot held in migration answers ASK, and MOVED once moved") {
  RedisCluster cluster;
  std::string a = "sp:{mig}:a", b = "sp:{mig}:b";
  int slot = cluster.KeySlot(a);
  int from = cluster.PrimaryForSlot(slot);
  auto primaries = cluster.PrimaryPorts();
  int to = from == primaries[0] ? primaries[1] : primaries[0];
  cluster.ClusterCommand({"SET", a, "1"});
  cluster.ClusterCommand({"SET", b, "2"});

  cluster.BeginSlotMigration(slot, from, to);
  cluster.MigrateKeys(from, to, {a});
  std::string ask = "ASK " + std::to_string(slot) + " 127.0.0.1:" + std::to_string(to);
  CHECK(Text(cluster.Command(from, {"GET", a})) == ask);
  CHECK(Text(cluster.Command(from, {"GET", b})) == "2");              // not moved yet
  CHECK(Text(cluster.Command(to, {"GET", a})) == Moved(slot, from));  // without ASKING
  CHECK(cluster.String({"GET", a}) == "1");
  CHECK(cluster.PrimaryForSlot(slot) == from);

  CHECK(cluster.MigrateSlotKeys(slot, from, to) == 1);
  cluster.FinishSlotMigration(slot, from, to);
  CHECK(cluster.PrimaryForSlot(slot) == to);
  CHECK(Text(cluster.Command(from, {"GET", b})) == Moved(slot, to));
  CHECK(Text(cluster.Command(to, {"GET", b})) == "2");
  CHECK(cluster.String({"GET", a}) == "1");
}

TEST_CASE("redis topologies: a Sentinel failover makes the replica the primary") {
  RedisSentinel sentinel;
  INFO(sentinel.Logs());
  auto sentinels = sentinel.SentinelPorts();
  REQUIRE(sentinels.size() == 3);
  CHECK(sentinel.Url() == "redis+sentinel://127.0.0.1:" + std::to_string(sentinels[0]) +
                              ",127.0.0.1:" + std::to_string(sentinels[1]) +
                              ",127.0.0.1:" + std::to_string(sentinels[2]) + "/mymaster");
  auto data = sentinel.DataPorts();
  REQUIRE(sentinel.PrimaryPort() == data[0]);
  CHECK(sentinel.ReplicaPort() == data[1]);

  auto key = sp::crypto::GenerateKeyPair();
  sentinel.Provision("bob", key);
  auto replies = sentinel.Commands(
      {{"XADD", "sp:{bob}:events", "*", "type", "t", "data", "acked"}, {"WAIT", "1", "5000"}});
  REQUIRE(replies[1]->type == REDIS_REPLY_INTEGER);
  REQUIRE(replies[1]->integer == 1);

  CHECK(sentinel.Kill9Primary() == data[0]);
  int promoted = sentinel.WaitForFailover(20s);
  REQUIRE(promoted == data[1]);
  CHECK(sentinel.PrimaryPort() == data[1]);
  for (int s : sentinels) {
    auto r = sentinel.Command(s, {"SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"});
    REQUIRE(r->type == REDIS_REPLY_ARRAY);
    CHECK(Text(r->element[1]) == std::to_string(data[1]));
  }
  CHECK(sentinel.Integer({"XLEN", "sp:{bob}:events"}) == 1);
  CHECK(sentinel.String({"HGET", "sp:{bob}:client", "pk"}) == sp::crypto::PublicKeyBase64(key));
  CHECK(sentinel.Xadd("bob", "t", "after").find('-') != std::string::npos);  // writable
}
