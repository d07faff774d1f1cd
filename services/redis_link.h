// What services/ sends Redis commands through: one server (RedisConnection),
// a Redis Cluster (ClusterLink, ClusterSubscriber) or a Sentinel-managed
// primary (RedisConnection pointed by SentinelWatch). Services never know
// which: they name keys, the link finds the server that holds them.
//
// Commands written in one loop iteration leave in one write per server, so
// callers pipeline simply by issuing them. Replies arrive in the order of the
// commands sent to one server.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "services/redis_endpoint.h"

struct redisReply;

namespace sp::services {

class LuaScript;

// What a link did beyond forwarding commands (for /metrics).
struct RedisLinkStats {
  uint64_t moved = 0;          // MOVED redirects followed (cluster)
  uint64_t ask = 0;            // ASK redirects followed (cluster, during a reshard)
  uint64_t retried = 0;        // TRYAGAIN / CLUSTERDOWN answers retried after a pause
  uint64_t map_refreshes = 0;  // slot maps loaded (cluster)
  uint64_t failovers = 0;      // primaries changed under the link (cluster, sentinel)
  uint64_t primaries = 1;      // servers commands go to
};

class RedisLink {
 public:
  // `reply` is nullptr when the link went down before the reply arrived.
  using Callback = std::function<void(const redisReply* reply)>;
  using Argv = std::vector<std::string_view>;

  RedisLink() = default;
  virtual ~RedisLink() = default;
  RedisLink(const RedisLink&) = delete;
  RedisLink& operator=(const RedisLink&) = delete;

  virtual void Start() = 0;
  // Disconnects after pending replies arrive; no reconnect. `done` runs once
  // the underlying handles are closed.
  virtual void Stop(std::function<void()> done = {}) = 0;

  // Up when every server commands may need is connected and ready.
  virtual bool IsUp() const = 0;
  // Run whenever the link becomes usable or is lost.
  void OnUp(std::function<void()> fn) { on_up_ = std::move(fn); }
  void OnDown(std::function<void()> fn) { on_down_ = std::move(fn); }

  // Sends one command. Returns false without calling `cb` when the server
  // that holds the command's key is not reachable now: the caller decides
  // whether to keep the work for later.
  virtual bool Command(const Argv& argv, Callback cb = {}) = 0;

  // MULTI, `commands`, EXEC on the server holding the first command's key
  // (all keys must share its slot); `on_exec` gets EXEC's reply. False when
  // that server is not reachable now (nothing sent, or a MULTI Redis drops
  // with the connection).
  virtual bool Transaction(const std::vector<Argv>& commands, Callback on_exec);

  // Runs `script` (services/lua_script.h) with `tail` = numkeys, keys, args.
  // The default suits a link with one connection at a time.
  virtual bool RunScript(LuaScript& script, const Argv& tail, Callback cb);
  // Counts the connections that became usable: what Redis remembers per
  // connection (loaded scripts) is valid only within one generation.
  virtual uint64_t Generation() const = 0;

  // Keys with equal shards may share one multi-key command (XREADGROUP over
  // many streams, a script over many clients' keys): always 0 on one server,
  // the hash slot in a cluster.
  virtual uint32_t BatchShard(std::string_view key) const {
    (void)key;
    return 0;
  }

  // Runs `fn` for the link of every primary (itself on one server): for
  // per-server settings such as keyspace notifications.
  virtual void ForEachPrimary(const std::function<void(RedisLink&)>& fn) { fn(*this); }

  // Subscriber links only (no Command() on them): (re)subscribes to `channel`
  // on every connect and hands each published message to `on_message`.
  // `on_confirmed` runs each time Redis confirms the subscription (after every
  // reconnect): from then on no message is missed, so catch-up reads belong
  // there. Keyspace channels ("__key...") are per server: a cluster subscribes
  // them on every primary; other channels reach every node of a cluster from
  // any one of them.
  virtual void Subscribe(std::string channel, std::function<void(std::string_view)> on_message,
                         std::function<void()> on_confirmed = {}) = 0;
  // The same for a pattern (PSUBSCRIBE): `on_message` gets the channel too.
  virtual void PSubscribe(
      std::string pattern,
      std::function<void(std::string_view channel, std::string_view message)> on_message,
      std::function<void()> on_confirmed = {}) = 0;

  virtual uint64_t CommandsSent() const = 0;
  virtual RedisLinkStats Stats() const { return {}; }

 protected:
  std::function<void()> on_up_;
  std::function<void()> on_down_;
};

}  // namespace sp::services
