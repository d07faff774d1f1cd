#include "services/cluster_link.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <charconv>

#include "services/lua_script.h"
#include "services/next_turn.h"
#include "services/redis_reply.h"
#include "shared/log.h"

namespace sp::services {
namespace {

// A healthy cluster's map is checked this often; a cluster with a primary
// down (a failover under way) much more often, so the promoted replica
// takes over within a few hundred milliseconds of its election.
constexpr uint64_t kRefreshEveryMs = 5000;
constexpr uint64_t kRefreshDegradedMs = 250;
// After a MOVED: soon, but once for a burst of them.
constexpr uint64_t kRefreshAfterMovedMs = 20;
// A command follows this many redirects and retries, then fails as Redis said.
constexpr int kMaxAttempts = 16;
constexpr uint64_t kRetryAfterMs = 25;

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// "MOVED 3999 127.0.0.1:6381" / "ASK 3999 127.0.0.1:6381"
bool ParseRedirect(std::string_view error, int* slot, RedisAddress* address) {
  size_t first = error.find(' ');
  if (first == std::string_view::npos) return false;
  size_t second = error.find(' ', first + 1);
  if (second == std::string_view::npos) return false;
  std::string_view slot_text = error.substr(first + 1, second - first - 1);
  std::string_view endpoint = error.substr(second + 1);
  size_t colon = endpoint.rfind(':');
  if (colon == std::string_view::npos) return false;
  int port = 0;
  auto r1 = std::from_chars(slot_text.data(), slot_text.data() + slot_text.size(), *slot);
  auto r2 = std::from_chars(endpoint.data() + colon + 1, endpoint.data() + endpoint.size(), port);
  if (r1.ec != std::errc() || r2.ec != std::errc() || *slot < 0 || *slot >= kClusterSlots ||
      port <= 0 || port > 65535)
    return false;
  address->host = std::string(endpoint.substr(0, colon));
  address->port = port;
  return true;
}

}  // namespace

ClusterLink::ClusterLink(uv_loop_t* loop, RedisEndpoint endpoint, std::string name)
    : loop_(loop), endpoint_(std::move(endpoint)), name_(std::move(name)) {
  uv_timer_init(loop_, &refresh_timer_);
  refresh_timer_.data = this;
  uv_timer_init(loop_, &retry_timer_);
  retry_timer_.data = this;
  stats_.primaries = 0;
}

ClusterLink::~ClusterLink() {
  // Connections fail their pending callbacks as they go: those must find
  // this object whole, and must not send anything anew.
  destroying_ = true;
  primaries_.clear();
  owner_.fill(nullptr);
  nodes_.clear();
  retired_.clear();
}

std::string ClusterLink::NameOf(const RedisAddress& address) {
  return std::string(address.host).append(":").append(std::to_string(address.port));
}

void ClusterLink::Start() {
  started_ = true;
  for (const RedisAddress& seed : endpoint_.seeds) NodeAt(seed);
  ScheduleRefresh(kRefreshDegradedMs);
}

void ClusterLink::Stop(std::function<void()> done) {
  stopping_ = true;
  up_ = false;
  uv_timer_stop(&refresh_timer_);
  uv_timer_stop(&retry_timer_);
  for (auto& r : retrying_)
    if (r->cb) r->cb(nullptr);
  retrying_.clear();
  // Every connection drains its replies, then the timers close, then `done`.
  auto remaining = std::make_shared<size_t>(nodes_.size() + retired_.size() + 1);
  auto one_stopped = [this, remaining, done = std::move(done)] {
    if (--*remaining > 0) return;
    uv_close(reinterpret_cast<uv_handle_t*>(&retry_timer_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&refresh_timer_), nullptr);
    if (done) done();
  };
  for (auto& [name, node] : nodes_) node->link->Stop(one_stopped);
  for (auto& node : retired_) node->link->Stop(one_stopped);
  one_stopped();
}

ClusterLink::Node* ClusterLink::NodeAt(const RedisAddress& address) {
  std::string key = NameOf(address);
  auto it = nodes_.find(key);
  if (it != nodes_.end()) return it->second.get();
  auto node = std::make_unique<Node>();
  node->address = address;
  node->link = std::make_unique<RedisConnection>(loop_, EndpointAt(endpoint_, address),
                                                 std::string(name_).append("@").append(key));
  Node* raw = node.get();
  raw->link->OnUp([this, raw] {
    // Commands redirected here while the link was connecting.
    auto waiting = std::move(raw->waiting);
    for (auto& request : waiting)
      if (!Send(raw, request) && request->cb) request->cb(nullptr);
    if (!map_known_) RefreshMap();
    UpdateUp();
  });
  raw->link->OnDown([this, raw] {
    if (destroying_ || stopping_) return;
    if (raw->primary) ScheduleRefresh(kRefreshDegradedMs);
    UpdateUp();
  });
  nodes_.emplace(key, std::move(node));
  if (started_ && !stopping_) raw->link->Start();
  return raw;
}

ClusterLink::Node* ClusterLink::OwnerOf(int slot) const {
  if (slot >= 0) return owner_[static_cast<size_t>(slot)];
  // No key: any connected primary.
  for (Node* node : primaries_)
    if (node->link->IsUp()) return node;
  return nullptr;
}

bool ClusterLink::Command(const Argv& argv, Callback cb) {
  if (stopping_ || !map_known_) return false;
  auto key = CommandKey(argv);
  int slot = key ? static_cast<int>(KeySlot(*key)) : -1;
  Node* node = OwnerOf(slot);
  if (node == nullptr || !node->link->IsUp()) return false;
  auto request = std::make_shared<Request>();
  request->args.assign(argv.begin(), argv.end());
  request->cb = std::move(cb);
  request->slot = slot;
  return Send(node, request);
}

bool ClusterLink::RunScript(LuaScript& script, const Argv& tail, Callback cb) {
  if (stopping_ || !map_known_) return false;
  int slot = tail.size() > 1 && tail[0] != "0" ? static_cast<int>(KeySlot(tail[1])) : -1;
  Node* node = OwnerOf(slot);
  if (node == nullptr || !node->link->IsUp()) return false;
  RedisConnection& connection = *node->link;
  bool by_sha = !script.Sha().empty() && script.SentOn(connection);
  auto request = std::make_shared<Request>();
  request->args.reserve(tail.size() + 2);
  request->args.emplace_back(by_sha ? "EVALSHA" : "EVAL");
  request->args.emplace_back(by_sha ? std::string_view(script.Sha()) : script.Text());
  request->args.insert(request->args.end(), tail.begin(), tail.end());
  request->cb = std::move(cb);
  request->slot = slot;
  request->script = &script;
  if (!Send(node, request)) return false;
  if (!by_sha) script.MarkSentOn(connection);
  script.LearnSha(connection);
  return true;
}

bool ClusterLink::Transaction(const std::vector<Argv>& commands, Callback on_exec) {
  if (stopping_ || !map_known_ || commands.empty()) return false;
  auto key = CommandKey(commands.front());
  Node* node = OwnerOf(key ? static_cast<int>(KeySlot(*key)) : -1);
  if (node == nullptr || !node->link->IsUp()) return false;
  commands_sent_ += commands.size() + 2;
  return node->link->Transaction(commands, [this, cb = std::move(on_exec)](const redisReply* r) {
    if (!destroying_ && r != nullptr && r->type == REDIS_REPLY_ERROR)
      ScheduleRefresh(kRefreshAfterMovedMs);
    if (cb) cb(r);
  });
}

bool ClusterLink::Send(Node* node, const RequestPtr& request) {
  if (request->asking) node->link->Command({"ASKING"});
  request->asking = false;
  Argv argv(request->args.begin(), request->args.end());
  bool sent = node->link->Command(
      argv, [this, node, request](const redisReply* r) { OnReply(node, request, r); });
  if (sent) ++commands_sent_;
  return sent;
}

void ClusterLink::OnReply(Node* node, const RequestPtr& request, const redisReply* r) {
  if (destroying_ || stopping_ || r == nullptr || r->type != REDIS_REPLY_ERROR ||
      request->attempts >= kMaxAttempts) {
    if (request->cb) request->cb(r);
    return;
  }
  std::string_view error = ReplyText(r);
  bool handled = false;
  if (StartsWith(error, "MOVED ")) {
    handled = Redirect(request, error, false);
  } else if (StartsWith(error, "ASK ")) {
    handled = Redirect(request, error, true);
  } else if (StartsWith(error, "TRYAGAIN") || StartsWith(error, "CLUSTERDOWN")) {
    ++stats_.retried;
    ++request->attempts;
    RetryLater(request);
    handled = true;
  } else if (StartsWith(error, "NOSCRIPT") && request->script != nullptr &&
             request->args[0] == "EVALSHA") {
    // A node that never saw the script (reached through a redirect) or
    // whose cache was flushed: the same call with the script's text.
    request->script->ForgetOn(*node->link);
    request->args[0] = "EVAL";
    request->args[1] = std::string(request->script->Text());
    ++request->attempts;
    handled = Send(node, request);
    if (handled) request->script->MarkSentOn(*node->link);
  }
  if (!handled && request->cb) request->cb(r);
}

bool ClusterLink::Redirect(const RequestPtr& request, std::string_view error, bool ask) {
  int slot = 0;
  RedisAddress address;
  if (!ParseRedirect(error, &slot, &address)) return false;
  ++request->attempts;
  Node* target = NodeAt(address);
  if (ask) {
    ++stats_.ask;
    request->asking = true;
  } else {
    ++stats_.moved;
    owner_[static_cast<size_t>(slot)] = target;
    ScheduleRefresh(kRefreshAfterMovedMs);
  }
  if (target->link->IsUp()) return Send(target, request);
  target->waiting.push_back(request);
  return true;
}

void ClusterLink::RetryLater(const RequestPtr& request) {
  retrying_.push_back(request);
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&retry_timer_)))
    uv_timer_start(&retry_timer_, &ClusterLink::OnRetryTimer, kRetryAfterMs, 0);
}

void ClusterLink::OnRetryTimer(uv_timer_t* timer) {
  auto* self = static_cast<ClusterLink*>(timer->data);
  auto retrying = std::move(self->retrying_);
  for (auto& request : retrying) {
    Node* node = self->OwnerOf(request->slot);
    if (node == nullptr || !node->link->IsUp() || !self->Send(node, request)) {
      if (request->cb) request->cb(nullptr);  // as if the link had gone down
    }
  }
}

void ClusterLink::ScheduleRefresh(uint64_t delay_ms) {
  if (stopping_ || destroying_) return;
  uint64_t due = uv_timer_get_due_in(&refresh_timer_);
  if (uv_is_active(reinterpret_cast<uv_handle_t*>(&refresh_timer_)) && due <= delay_ms) return;
  uv_timer_start(&refresh_timer_, &ClusterLink::OnRefreshTimer, delay_ms, 0);
}

void ClusterLink::OnRefreshTimer(uv_timer_t* timer) {
  auto* self = static_cast<ClusterLink*>(timer->data);
  self->RefreshMap();
  self->ScheduleRefresh(self->up_ ? kRefreshEveryMs : kRefreshDegradedMs);
}

void ClusterLink::RefreshMap() {
  if (refreshing_ || stopping_ || destroying_) return;
  // Ask a primary when one is connected (it knows best), else anyone.
  Node* asked = nullptr;
  for (Node* node : primaries_)
    if (node->link->IsUp()) asked = node;
  for (auto it = nodes_.begin(); asked == nullptr && it != nodes_.end(); ++it)
    if (it->second->link->IsUp()) asked = it->second.get();
  if (asked == nullptr) {
    // Nobody reachable: the seeds may have come back, or be the only way in.
    for (const RedisAddress& seed : endpoint_.seeds) NodeAt(seed);
    return;
  }
  refreshing_ = true;
  std::string host = asked->address.host;
  bool sent = asked->link->Command({"CLUSTER", "SLOTS"}, [this, host](const redisReply* r) {
    refreshing_ = false;
    if (destroying_ || stopping_ || r == nullptr) return;
    SlotMap map;
    std::string error;
    if (!map.Parse(r, &error, host)) {
      log::Warn("redis.cluster_map_refused", {{"link", name_}, {"error", error}});
      return;
    }
    ApplyMap(map);
  });
  if (!sent) refreshing_ = false;
}

void ClusterLink::ApplyMap(const SlotMap& map) {
  ++stats_.map_refreshes;
  std::vector<Node*> primaries;
  for (const RedisAddress& address : map.Nodes()) primaries.push_back(NodeAt(address));
  for (const RedisAddress& address : map.Replicas()) NodeAt(address);
  bool changed = primaries.size() != primaries_.size() ||
                 !std::is_permutation(primaries.begin(), primaries.end(), primaries_.begin());
  for (auto& [name, node] : nodes_) node->primary = false;
  for (Node* node : primaries) node->primary = true;
  for (uint32_t slot = 0; slot < kClusterSlots; ++slot) {
    auto index = map.NodeOf(static_cast<uint16_t>(slot));
    owner_[slot] = index ? primaries[*index] : nullptr;
  }
  if (changed && map_known_) {
    ++stats_.failovers;
    log::Info("redis.cluster_primaries_changed",
              {{"link", name_}, {"primaries", static_cast<uint64_t>(primaries.size())}});
  }
  primaries_ = std::move(primaries);
  stats_.primaries = primaries_.size();
  map_known_ = true;
  ++map_version_;
  // Nodes gone from the map (removed, or a seed that is no cluster member).
  std::vector<std::string> gone;
  for (auto& [name, node] : nodes_) {
    RedisAddress a = node->address;
    bool listed =
        std::find(map.Nodes().begin(), map.Nodes().end(), a) != map.Nodes().end() ||
        std::find(map.Replicas().begin(), map.Replicas().end(), a) != map.Replicas().end();
    if (!listed) gone.push_back(name);
  }
  for (const std::string& name : gone) {
    auto it = nodes_.find(name);
    std::unique_ptr<Node> node = std::move(it->second);
    nodes_.erase(it);
    Retire(std::move(node));
  }
  UpdateUp();
  if (changed && on_primaries_changed_) on_primaries_changed_();
}

void ClusterLink::Retire(std::unique_ptr<Node> node) {
  for (auto& request : node->waiting)
    if (request->cb) request->cb(nullptr);
  node->waiting.clear();
  Node* raw = node.get();
  retired_.push_back(std::move(node));
  raw->link->Stop([this, raw] {
    if (destroying_) return;
    // Freed on the next turn: this callback runs inside the link's close.
    auto it = std::find_if(retired_.begin(), retired_.end(),
                           [raw](const std::unique_ptr<Node>& n) { return n.get() == raw; });
    if (it == retired_.end()) return;
    DeleteOnNextTurn(loop_, it->release());
    retired_.erase(it);
  });
}

void ClusterLink::UpdateUp() {
  if (destroying_ || stopping_) return;
  bool up = map_known_ && !primaries_.empty();
  for (Node* node : primaries_) up = up && node->link->IsUp();
  if (up == up_) return;
  up_ = up;
  if (up) {
    log::Info("redis.cluster_up", {{"link", name_}, {"primaries", stats_.primaries}});
    if (on_up_) on_up_();
  } else {
    log::Warn("redis.cluster_degraded", {{"link", name_}});
    ScheduleRefresh(kRefreshDegradedMs);
    if (on_down_) on_down_();
  }
}

void ClusterLink::ForEachPrimary(const std::function<void(RedisLink&)>& fn) {
  for (Node* node : primaries_) fn(*node->link);
}

void ClusterLink::Subscribe(std::string channel, std::function<void(std::string_view)>,
                            std::function<void()>) {
  log::Error("redis.subscribe_on_command_link", {{"link", name_}, {"channel", channel}});
}

void ClusterLink::PSubscribe(std::string pattern,
                             std::function<void(std::string_view, std::string_view)>,
                             std::function<void()>) {
  log::Error("redis.subscribe_on_command_link", {{"link", name_}, {"channel", pattern}});
}

std::vector<RedisAddress> ClusterLink::Primaries() const {
  std::vector<RedisAddress> out;
  for (Node* node : primaries_) out.push_back(node->address);
  return out;
}

RedisLinkStats ClusterLink::Stats() const {
  return stats_;
}

}  // namespace sp::services
