#include "services/cluster_subscriber.h"

#include <algorithm>

#include "services/next_turn.h"
#include "shared/log.h"

namespace sp::services {

ClusterSubscriber::ClusterSubscriber(uv_loop_t* loop, RedisEndpoint endpoint, std::string name,
                                     ClusterLink& commands)
    : loop_(loop), endpoint_(std::move(endpoint)), name_(std::move(name)), commands_(commands) {}

ClusterSubscriber::~ClusterSubscriber() = default;

void ClusterSubscriber::Start() {
  started_ = true;
  commands_.OnPrimariesChanged([this] { FollowPrimaries(); });
  FollowPrimaries();
}

void ClusterSubscriber::Stop(std::function<void()> done) {
  stopped_ = true;
  up_ = false;
  auto remaining = std::make_shared<size_t>(nodes_.size() + 1);
  auto one_stopped = [remaining, done = std::move(done)] {
    if (--*remaining == 0 && done) done();
  };
  for (auto& [name, node] : nodes_) node->link->Stop(one_stopped);
  one_stopped();
}

void ClusterSubscriber::FollowPrimaries() {
  if (!started_ || stopped_) return;
  std::vector<RedisAddress> primaries = commands_.Primaries();
  std::vector<std::string> wanted;
  for (const RedisAddress& a : primaries)
    wanted.push_back(std::string(a.host).append(":").append(std::to_string(a.port)));
  bool anchor_kept = false;
  for (auto it = nodes_.begin(); it != nodes_.end();) {
    if (std::find(wanted.begin(), wanted.end(), it->first) != wanted.end()) {
      anchor_kept = anchor_kept || it->second->anchor;
      ++it;
      continue;
    }
    // No longer a primary: its notifications now come from the new owner.
    RedisConnection* link = it->second->link.get();
    stopping_links_.push_back(std::move(it->second->link));
    link->Stop([this, link] {
      auto found = std::find_if(stopping_links_.begin(), stopping_links_.end(),
                                [link](const auto& l) { return l.get() == link; });
      if (found == stopping_links_.end()) return;
      // Freed on the next turn: this runs inside the link's own close callback.
      DeleteOnNextTurn(loop_, found->release());
      stopping_links_.erase(found);
    });
    it = nodes_.erase(it);
  }
  for (size_t i = 0; i < primaries.size(); ++i) {
    if (nodes_.count(wanted[i]) != 0) continue;
    auto node = std::make_unique<Node>();
    node->link =
        std::make_unique<RedisConnection>(loop_, EndpointAt(endpoint_, primaries[i]),
                                          std::string(name_).append("@").append(wanted[i]));
    node->link->OnUp([this] { UpdateUp(); });
    node->link->OnDown([this] { UpdateUp(); });
    Node& added = *node;
    nodes_.emplace(wanted[i], std::move(node));
    for (const auto& sub : subscriptions_)
      if (sub->per_node()) SubscribeOn(added, *sub);
    added.link->Start();
  }
  if (!anchor_kept && !nodes_.empty()) {
    Node& anchor = *nodes_.begin()->second;
    anchor.anchor = true;
    for (const auto& sub : subscriptions_)
      if (!sub->per_node()) SubscribeOn(anchor, *sub);
  }
  UpdateUp();
}

void ClusterSubscriber::SubscribeOn(Node& node, const Subscription& sub) {
  auto on_message = sub.on_message;
  if (sub.pattern) {
    node.link->PSubscribe(sub.channel, on_message, sub.on_confirmed);
  } else {
    node.link->Subscribe(
        sub.channel,
        [on_message, channel = sub.channel](std::string_view message) {
          on_message(channel, message);
        },
        sub.on_confirmed);
  }
}

void ClusterSubscriber::Subscribe(std::string channel,
                                  std::function<void(std::string_view)> on_message,
                                  std::function<void()> on_confirmed) {
  auto sub = std::make_unique<Subscription>();
  sub->channel = std::move(channel);
  sub->on_message = [fn = std::move(on_message)](std::string_view, std::string_view m) { fn(m); };
  sub->on_confirmed = std::move(on_confirmed);
  for (auto& [name, node] : nodes_)
    if (sub->per_node() || node->anchor) SubscribeOn(*node, *sub);
  subscriptions_.push_back(std::move(sub));
}

void ClusterSubscriber::PSubscribe(
    std::string pattern,
    std::function<void(std::string_view channel, std::string_view message)> on_message,
    std::function<void()> on_confirmed) {
  auto sub = std::make_unique<Subscription>();
  sub->channel = std::move(pattern);
  sub->pattern = true;
  sub->on_message = std::move(on_message);
  sub->on_confirmed = std::move(on_confirmed);
  for (auto& [name, node] : nodes_)
    if (sub->per_node() || node->anchor) SubscribeOn(*node, *sub);
  subscriptions_.push_back(std::move(sub));
}

void ClusterSubscriber::UpdateUp() {
  if (stopped_) return;
  bool up = !nodes_.empty();
  for (auto& [name, node] : nodes_) up = up && node->link->IsUp();
  if (up == up_) return;
  up_ = up;
  log::Info(up ? "redis.cluster_subscriber_up" : "redis.cluster_subscriber_degraded",
            {{"link", name_}});
  if (up && on_up_) on_up_();
  if (!up && on_down_) on_down_();
}

}  // namespace sp::services
