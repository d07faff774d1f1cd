// A real Redis Cluster for one integration test: cluster-enabled redis-server
// nodes on free loopback ports (each in its own temporary directory, stopped
// by PID at the end), joined with `redis-cli --cluster create`. A short
// cluster-node-timeout keeps a failover within a few seconds.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "crypto/keys.h"
#include "tests/support/redis_node.h"

namespace sp::testkit {

class RedisCluster {
 public:
  static constexpr int kNodeTimeoutMs = 1000;

  // Returns when every node reports cluster_state:ok, all nodes give the same
  // CLUSTER SLOTS and every replica's link to its primary is up. Redis Cluster
  // needs at least 3 primaries (std::invalid_argument otherwise).
  explicit RedisCluster(int primaries = 3, int replicas_per_primary = 0, bool aof = false);
  ~RedisCluster();
  RedisCluster(const RedisCluster&) = delete;
  RedisCluster& operator=(const RedisCluster&) = delete;

  // "redis+cluster://127.0.0.1:p1,...": every node as a seed, the primaries
  // (as created) first, so that a seed list survives killing one of them.
  std::string Url() const;
  std::vector<int> Ports() const;                   // every node, killed ones too, in start order
  std::vector<int> LivePorts();                     // the nodes not killed
  std::vector<int> PrimaryPorts();                  // live nodes whose ROLE is master
  std::vector<int> ReplicaPorts(int primary_port);  // live nodes replicating it
  std::string NodeId(int port);                     // CLUSTER MYID

  int KeySlot(const std::string& key);  // CLUSTER KEYSLOT
  // The primary serving `slot` / `key`, in CLUSTER SLOTS of the first live node.
  int PrimaryForSlot(int slot);
  int PrimaryForKey(const std::string& key) { return PrimaryForSlot(KeySlot(key)); }
  std::vector<int> SlotsOf(int primary_port);  // the slots it serves, same view
  // Keys ("k{tag}") in the given slots, to put data on a chosen node or slot;
  // checked against CLUSTER KEYSLOT (one pipelined round trip).
  std::vector<std::string> KeysInSlots(const std::vector<int>& slots);
  std::string KeyInSlot(int slot) { return KeysInSlots({slot}).at(0); }

  // One command on a fresh connection to that node, without redirects:
  // MOVED and ASK come back as error replies. Throws if the node is down.
  RedisReplyPtr Command(int port, const std::vector<std::string>& argv);
  // Several commands on one connection (a write and then WAIT). Throws if down.
  std::vector<RedisReplyPtr> Commands(int port,
                                      const std::vector<std::vector<std::string>>& commands);
  // One command sent where the cluster says: starts at the first live node
  // and follows MOVED and ASK (with ASKING), at most 5 redirects; TRYAGAIN is
  // retried for up to a second. Throws if a node on the way is down.
  RedisReplyPtr ClusterCommand(const std::vector<std::string>& argv);
  long long Integer(const std::vector<std::string>& argv);   // ClusterCommand; -1 if not an integer
  std::string String(const std::vector<std::string>& argv);  // ClusterCommand; the reply's text
  // As testkit::Redis does on one node: XADD to sp:{client}:events, and the
  // client record sp:{client}:client.
  std::string Xadd(const std::string& client, const std::string& type, const std::string& data);
  void Provision(const std::string& client, const crypto::KeyPair& key);

  // SIGKILL to a node that is a primary now (std::invalid_argument otherwise).
  void Kill9Primary(int port);
  void Kill9(int port);    // any node
  void Restart(int port);  // a killed node again, same port and nodes.conf: it rejoins
  // Waits until a replica of the killed primary `dead_port` serves its slots
  // on every live node, and the cluster is stable (as after construction).
  // Returns the new primary's port, or -1 on timeout.
  int WaitForFailover(int dead_port, std::chrono::milliseconds timeout = std::chrono::seconds(15));
  // As the constructor waits: state ok, one slot map everywhere, replicas up.
  bool WaitForStable(std::chrono::milliseconds timeout = std::chrono::seconds(15));

  // `redis-cli --cluster reshard`: moves `slots` slots (with their keys) from
  // one primary to another, then WaitForStable. Throws on failure.
  void Reshard(int from_port, int to_port, int slots);
  // One slot moved step by step, so that a test can stop in between: after
  // BeginSlotMigration (IMPORTING on `to`, MIGRATING on `from`) the source
  // answers ASK for keys of the slot it no longer has; MigrateKeys moves the
  // given keys (MIGRATE), MigrateSlotKeys all that are left; FinishSlotMigration
  // assigns the slot to `to` on every live primary (then the source answers
  // MOVED) and waits for a stable cluster. MoveSlot does all of it.
  void BeginSlotMigration(int slot, int from_port, int to_port);
  void MigrateKeys(int from_port, int to_port, const std::vector<std::string>& keys);
  int MigrateSlotKeys(int slot, int from_port, int to_port);  // keys moved
  void FinishSlotMigration(int slot, int from_port, int to_port);
  void MoveSlot(int slot, int from_port, int to_port);

  // CLUSTER SLOTS of one node as "start-end:primary[,replica...]" ranges in
  // slot order (replicas sorted): what "all nodes agree" compares. "" if the
  // node is down.
  std::string SlotMap(int port);
  // The Redis logs of every node, for a failing test's message.
  std::string Logs();

 private:
  RedisNode& Node(int port);
  bool Stable();
  std::vector<std::unique_ptr<RedisNode>> nodes_;
  std::vector<int> initial_primaries_;
  std::map<int, int> dead_primary_slot_;  // a killed primary's port -> one slot it served
};

}  // namespace sp::testkit
