// One redis-server process (a data node, a cluster node or a Sentinel) on a
// free loopback port in a directory of its own, and synchronous commands to
// it: the building block of redis_cluster.h and redis_sentinel.h.
#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace sp::testkit {

using RedisReplyPtr = std::unique_ptr<redisReply, void (*)(void*)>;

// One command on a fresh connection to 127.0.0.1:port. Null when the node
// does not answer within `timeout` (killed, or not started yet): helpers that
// poll a topology while nodes die need to tell that apart from an error reply.
RedisReplyPtr RedisCommandAt(int port, const std::vector<std::string>& argv,
                             std::chrono::milliseconds timeout = std::chrono::seconds(10));
// Several commands in order on one connection (WAIT counts the replicas that
// have this connection's writes, so it has to follow them on the same one).
// Empty when the node cannot be reached; a null entry for a command that got
// no reply.
std::vector<RedisReplyPtr> RedisCommandsAt(
    int port, const std::vector<std::vector<std::string>>& commands,
    std::chrono::milliseconds timeout = std::chrono::seconds(10));
// "field:value" lines of INFO <section>: the value, or "" (also when unreachable).
std::string RedisInfoField(int port, const std::string& section, const std::string& field);
// The value of "field:value" in INFO-style text (INFO, CLUSTER INFO), or "".
std::string InfoValue(const std::string& text, const std::string& field);
// The reply's string (status, error or bulk), or "".
std::string ReplyText(const redisReply* reply);

class RedisNode {
 public:
  // Builds the command line for a port and directory (the node's own TempDir).
  using ArgvFor = std::function<std::vector<std::string>(int port, const std::string& dir)>;
  // Starts on a free port; with `bus_port`, port + 10000 must be free as well
  // (a cluster node listens there). Another process may take a port between
  // the check and the bind: a start that fails is retried on another port.
  RedisNode(ArgvFor argv_for, bool bus_port);
  ~RedisNode();
  RedisNode(const RedisNode&) = delete;
  RedisNode& operator=(const RedisNode&) = delete;

  int Port() const { return port_; }
  const TempDir& Dir() const { return dir_; }
  bool Running() { return process_.Running(); }
  pid_t Pid() const { return process_.Pid(); }
  void Kill9() { process_.Kill9(); }
  void Stop() { process_.Stop(); }
  // Again on the same port and directory (nodes.conf, AOF, a Sentinel's
  // rewritten config are kept); throws if it does not answer PING.
  void Start();
  std::string Log() const { return process_.Stdout() + process_.Stderr(); }

 private:
  bool Launch();  // false if the process exited before answering PING
  ArgvFor argv_for_;
  TempDir dir_;
  int port_ = 0;
  int launches_ = 0;
  Process process_;
};

}  // namespace sp::testkit
