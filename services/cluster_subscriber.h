// Subscriptions in a Redis Cluster. Keyspace notifications stay on the node
// where the key changed, so "__key..." channels are subscribed on every
// primary, following the command link's slot map as primaries come and go.
// A PUBLISH reaches every node of a cluster, so other channels are
// subscribed on one primary only (the anchor): on all of them, each message
// would arrive once per primary. When the anchor leaves the map, they move
// to another primary.
//
// Why not sharded pub/sub (SSUBSCRIBE, Redis 7): the control channel carries
// every node's session announcements to every node; it has no key whose
// slot could shard it, and one shard channel would put all of it on one
// primary anyway, as the anchor does.
#pragma once

#include <uv.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "services/cluster_link.h"
#include "services/redis_connection.h"
#include "services/redis_link.h"

namespace sp::services {

class ClusterSubscriber final : public RedisLink {
 public:
  ClusterSubscriber(uv_loop_t* loop, RedisEndpoint endpoint, std::string name,
                    ClusterLink& commands);
  ~ClusterSubscriber() override;

  void Start() override;
  void Stop(std::function<void()> done = {}) override;
  // Up when every primary's connection is up and subscribed.
  bool IsUp() const override { return up_; }
  uint64_t Generation() const override { return 0; }
  bool Command(const Argv&, Callback = {}) override { return false; }
  void Subscribe(std::string channel, std::function<void(std::string_view)> on_message,
                 std::function<void()> on_confirmed = {}) override;
  void PSubscribe(
      std::string pattern,
      std::function<void(std::string_view channel, std::string_view message)> on_message,
      std::function<void()> on_confirmed = {}) override;
  uint64_t CommandsSent() const override { return 0; }

 private:
  struct Subscription {
    std::string channel;
    bool pattern = false;
    std::function<void(std::string_view channel, std::string_view message)> on_message;
    std::function<void()> on_confirmed;
    bool per_node() const { return channel.rfind("__key", 0) == 0; }
  };
  struct Node {
    std::unique_ptr<RedisConnection> link;
    bool anchor = false;
  };
  void FollowPrimaries();
  void SubscribeOn(Node& node, const Subscription& sub);
  void UpdateUp();

  uv_loop_t* loop_;
  RedisEndpoint endpoint_;
  std::string name_;
  ClusterLink& commands_;
  std::map<std::string, std::unique_ptr<Node>> nodes_;  // by "host:port"
  std::vector<std::unique_ptr<RedisConnection>> stopping_links_;
  std::vector<std::unique_ptr<Subscription>> subscriptions_;
  bool started_ = false;
  bool stopped_ = false;
  bool up_ = false;
};

}  // namespace sp::services
