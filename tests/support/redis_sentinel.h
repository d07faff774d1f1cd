// A real Redis Sentinel setup for one integration test: a primary, one
// replica of it and N Sentinels (redis-server --sentinel with a config file of
// their own) monitoring it as "mymaster", all on free loopback ports in
// temporary directories, stopped by PID at the end. down-after-milliseconds
// is short, so a failover takes a few seconds.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "crypto/keys.h"
#include "tests/support/redis_node.h"

namespace sp::testkit {

class RedisSentinel {
 public:
  static constexpr const char* kMasterName = "mymaster";
  static constexpr int kDownAfterMs = 1000;

  // Returns when the replica's link is up and every Sentinel knows the
  // replica and all other Sentinels. Quorum 2 (1 with a single Sentinel).
  explicit RedisSentinel(int sentinels = 3, bool aof = false);
  ~RedisSentinel();
  RedisSentinel(const RedisSentinel&) = delete;
  RedisSentinel& operator=(const RedisSentinel&) = delete;

  // "redis+sentinel://127.0.0.1:s1,127.0.0.1:s2,127.0.0.1:s3/mymaster"
  std::string Url() const;
  std::vector<int> SentinelPorts() const;
  std::vector<int> DataPorts() const;  // the first primary, then the replica
  // The primary as the first live Sentinel names it (get-master-addr-by-name);
  // -1 if no Sentinel answers.
  int PrimaryPort();
  int ReplicaPort();  // the data node that is not PrimaryPort()

  // SIGKILL to the current primary; returns its port.
  int Kill9Primary();
  void Kill9Sentinel(int port);
  // A killed data node or Sentinel, same port and directory. A restarted old
  // primary comes back as a primary; the Sentinels make it a replica of the
  // new one on their next INFO round (about 10 s here), not at once.
  void Restart(int port);
  // Waits until every live Sentinel names another primary than the killed
  // one and that node's ROLE is master. Returns its port, -1 on timeout.
  int WaitForFailover(std::chrono::milliseconds timeout = std::chrono::seconds(20));

  // On the node given, or on the current primary (throws if none answers).
  RedisReplyPtr Command(int port, const std::vector<std::string>& argv);
  RedisReplyPtr Command(const std::vector<std::string>& argv) {
    return Command(PrimaryPort(), argv);
  }
  // Several commands on one connection to the primary (a write, then WAIT).
  std::vector<RedisReplyPtr> Commands(const std::vector<std::vector<std::string>>& commands);
  long long Integer(const std::vector<std::string>& argv);  // -1 if not an integer
  std::string String(const std::vector<std::string>& argv);
  std::string Xadd(const std::string& client, const std::string& type, const std::string& data);
  void Provision(const std::string& client, const crypto::KeyPair& key);

  std::string Logs();  // every process's log, for a failing test's message

 private:
  RedisNode& Node(int port);
  bool Ready();
  std::vector<std::unique_ptr<RedisNode>> data_;       // primary as started, replica
  std::vector<std::unique_ptr<RedisNode>> sentinels_;  // after data_: they are stopped first
  int dead_primary_ = -1;
};

}  // namespace sp::testkit
