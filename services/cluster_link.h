// Commands to a Redis Cluster: one RedisConnection per node the slot map
// names, each command sent to the primary serving its key's slot. Debian's
// hiredis knows no cluster, so the routing is ours, the way cluster-aware
// clients do it:
//  - the map comes from CLUSTER SLOTS, asked of any connected node at start,
//    every few seconds, soon after a MOVED, and often while a primary is down
//    (until a replica is promoted);
//  - MOVED updates the map and sends the command again to the new owner;
//    ASK sends ASKING and the command to the importing node once, leaving
//    the map alone (a slot in migration);
//  - TRYAGAIN (a multi-key command in a migrating slot) and CLUSTERDOWN are
//    retried after a short pause, a bounded number of times.
// A redirected command can be overtaken by commands sent after it: callers
// keep order through stream ids and scripts, not through send order.
//
// Replicas are connected too (idle, pinged): when primaries die, one of
// them answers the next CLUSTER SLOTS, and its link is up the moment it is
// promoted.
#pragma once

#include <uv.h>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "services/cluster_slots.h"
#include "services/redis_connection.h"
#include "services/redis_link.h"

namespace sp::services {

class ClusterLink final : public RedisLink {
 public:
  ClusterLink(uv_loop_t* loop, RedisEndpoint endpoint, std::string name);
  ~ClusterLink() override;

  void Start() override;
  void Stop(std::function<void()> done = {}) override;
  // Up when a map is known and every primary in it is connected.
  bool IsUp() const override { return up_; }
  uint64_t Generation() const override { return map_version_; }
  bool Command(const Argv& argv, Callback cb = {}) override;
  bool RunScript(LuaScript& script, const Argv& tail, Callback cb) override;
  // Sent to the slot's owner as is: a MOVED inside makes EXEC fail
  // (EXECABORT), the map is refreshed, and the caller tries again later.
  bool Transaction(const std::vector<Argv>& commands, Callback on_exec) override;
  uint32_t BatchShard(std::string_view key) const override { return KeySlot(key); }
  void ForEachPrimary(const std::function<void(RedisLink&)>& fn) override;
  // Subscriptions belong to ClusterSubscriber; on this link they are refused.
  void Subscribe(std::string channel, std::function<void(std::string_view)> on_message,
                 std::function<void()> on_confirmed = {}) override;
  void PSubscribe(
      std::string pattern,
      std::function<void(std::string_view channel, std::string_view message)> on_message,
      std::function<void()> on_confirmed = {}) override;
  uint64_t CommandsSent() const override { return commands_sent_; }
  RedisLinkStats Stats() const override;

  // The primaries of the current map (ClusterSubscriber follows them).
  std::vector<RedisAddress> Primaries() const;
  void OnPrimariesChanged(std::function<void()> fn) { on_primaries_changed_ = std::move(fn); }

 private:
  struct Request {
    std::vector<std::string> args;
    Callback cb;
    int slot = -1;  // -1: no key (any primary)
    LuaScript* script = nullptr;
    int attempts = 0;  // redirects and retries so far
    bool asking = false;
  };
  using RequestPtr = std::shared_ptr<Request>;
  struct Node {
    RedisAddress address;
    std::unique_ptr<RedisConnection> link;
    bool primary = false;
    // Commands redirected here before the link came up.
    std::vector<RequestPtr> waiting;
  };

  static void OnRefreshTimer(uv_timer_t* timer);
  static void OnRetryTimer(uv_timer_t* timer);

  Node* NodeAt(const RedisAddress& address);  // created and started when new
  Node* OwnerOf(int slot) const;
  bool Send(Node* node, const RequestPtr& request);
  void OnReply(Node* node, const RequestPtr& request, const redisReply* reply);
  bool Redirect(const RequestPtr& request, std::string_view error, bool ask);
  void RetryLater(const RequestPtr& request);
  void RefreshMap();
  void ScheduleRefresh(uint64_t delay_ms);
  void ApplyMap(const SlotMap& map);
  void UpdateUp();
  void Retire(std::unique_ptr<Node> node);
  static std::string NameOf(const RedisAddress& address);

  uv_loop_t* loop_;
  RedisEndpoint endpoint_;
  std::string name_;
  std::map<std::string, std::unique_ptr<Node>> nodes_;  // by "host:port"
  std::vector<std::unique_ptr<Node>> retired_;          // stopping; freed when stopped
  std::array<Node*, kClusterSlots> owner_{};
  std::vector<Node*> primaries_;
  uv_timer_t refresh_timer_;
  uv_timer_t retry_timer_;
  std::vector<RequestPtr> retrying_;
  bool refreshing_ = false;
  bool map_known_ = false;
  bool up_ = false;
  bool started_ = false;
  bool stopping_ = false;
  bool destroying_ = false;
  uint64_t map_version_ = 0;
  uint64_t commands_sent_ = 0;
  RedisLinkStats stats_;
  std::function<void()> on_primaries_changed_;
};

}  // namespace sp::services
