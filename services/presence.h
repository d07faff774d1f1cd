// Which node holds which client, the node registry, and the control channel
// that enforces one live session per client id across all nodes.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "services/keys.h"
#include "services/lua_script.h"
#include "services/redis_link.h"

namespace sp::services {

struct NodeInfo {
  std::string node;
  std::string listen;
  int64_t started_ms = 0;
  uint64_t connections = 0;
  uint64_t sessions = 0;
};

// A session that just started somewhere (views valid during the callback).
struct SessionAnnouncement {
  std::string_view client;
  std::string_view node;
  std::string_view session;
  int64_t since_ms = 0;  // the announcing node's clock: for people, orders nothing
  uint64_t epoch = 0;    // from INCR sp:{ID}:epoch: the higher is the newer session
};

class Presence {
 public:
  using KickHandler = std::function<void(const SessionAnnouncement&)>;

  Presence(RedisLink& commands, RedisLink& subscriber, const Keys& keys, std::string node,
           uint64_t node_ttl_ms);

  // Subscribes to the control channel; `on_session` runs for every session start
  // announced by any node (this one included).
  void Listen(KickHandler on_session);

  // A session started here (services/session_start.h took its epoch and
  // recorded its presence): adds it to this node's client list, a key of the
  // node's, outside the client's slot, so not in the start script. Batched
  // until Flush(): one HSET and one PEXPIRE per loop iteration, not per session.
  void NodeHolds(const std::string& client, int64_t since_ms);
  void Flush();
  // Removes the presence entry only if it still names this session; then
  // (only then: the client has left, not moved) `on_left` gets its groups.
  void SessionEnded(const std::string& client, const std::string& session,
                    std::function<void(const std::vector<std::string>& groups)> on_left = {});

  // Refreshes sp:node:<node> (expires after node_ttl_ms when the node dies),
  // and cleans up after nodes that died (SweepDeadNodes).
  void Beat(const NodeInfo& info);
  void SweepDeadNodes();
  void NodeStopping();

 private:
  RedisLink& commands_;
  RedisLink& subscriber_;
  const Keys& keys_;
  std::string node_;
  uint64_t node_ttl_ms_;
  LuaScript end_script_;
  LuaScript orphan_script_;
  std::vector<std::string> holds_;  // client, since, client, since, ... for Flush()
};

}  // namespace sp::services
