#include "services/sentinel_link.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <charconv>

#include "services/redis_reply.h"
#include "shared/log.h"

namespace sp::services {
namespace {

// The sentinels are asked this often even without a +switch-master: a
// message lost while a sentinel link was down must not leave the node on a
// demoted primary.
constexpr uint64_t kPollEveryMs = 1000;
constexpr uint64_t kPollUnknownMs = 200;

bool ParseAddress(std::string_view host, std::string_view port_text, RedisAddress* out) {
  int port = 0;
  auto r = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (r.ec != std::errc() || port <= 0 || port > 65535 || host.empty()) return false;
  out->host = std::string(host);
  out->port = port;
  return true;
}

}  // namespace

SentinelWatch::SentinelWatch(uv_loop_t* loop, RedisEndpoint endpoint)
    : loop_(loop), endpoint_(std::move(endpoint)) {
  uv_timer_init(loop_, &poll_timer_);
  poll_timer_.data = this;
}

SentinelWatch::~SentinelWatch() = default;

void SentinelWatch::Follow(RedisConnection* link) {
  followers_.push_back(link);
  // A replica found where the primary was: ask now rather than at the next poll.
  link->RequirePrimary([this] { AskNow(); });
  if (known_) {
    link->Retarget(primary_);
    link->Start();
  }
  if (!started_) Start();
}

void SentinelWatch::Unfollow(RedisConnection* link) {
  followers_.erase(std::remove(followers_.begin(), followers_.end(), link), followers_.end());
  if (followers_.empty()) Stop();
}

void SentinelWatch::Start() {
  started_ = true;
  for (const RedisAddress& sentinel : endpoint_.seeds) {
    RedisEndpoint ep;
    ep.host = sentinel.host;
    ep.port = sentinel.port;
    ep.is_sentinel = true;
    std::string name = std::string("sentinel@")
                           .append(sentinel.host)
                           .append(":")
                           .append(std::to_string(sentinel.port));
    auto query = std::make_unique<RedisConnection>(loop_, ep, name);
    query->OnUp([this] {
      if (!known_) AskNow();
    });
    query->Start();
    queries_.push_back(std::move(query));
    auto sub = std::make_unique<RedisConnection>(loop_, ep, name + "/events");
    // "<master-name> <old-ip> <old-port> <new-ip> <new-port>"
    sub->Subscribe("+switch-master", [this](std::string_view message) {
      std::string_view parts[5];
      size_t n = 0;
      while (n < 5 && !message.empty()) {
        size_t space = message.find(' ');
        parts[n++] = message.substr(0, space);
        message = space == std::string_view::npos ? std::string_view() : message.substr(space + 1);
      }
      RedisAddress address;
      if (n == 5 && parts[0] == endpoint_.master_name && ParseAddress(parts[3], parts[4], &address))
        Answered(address, "switch-master");
    });
    sub->Start();
    subscribers_.push_back(std::move(sub));
  }
  uv_timer_start(&poll_timer_, &SentinelWatch::OnPollTimer, kPollUnknownMs, kPollUnknownMs);
}

void SentinelWatch::Stop() {
  started_ = false;
  uv_timer_stop(&poll_timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(&poll_timer_), nullptr);
  for (auto& q : queries_) q->Stop();
  for (auto& s : subscribers_) s->Stop();
}

void SentinelWatch::OnPollTimer(uv_timer_t* timer) {
  static_cast<SentinelWatch*>(timer->data)->AskNow();
}

void SentinelWatch::AskNow() {
  if (!started_ || asking_ || queries_.empty()) return;
  // Round robin over the sentinels that are up: one that lags behind a
  // failover is corrected by the next poll asking another.
  for (size_t tried = 0; tried < queries_.size(); ++tried) {
    RedisConnection& query = *queries_[next_query_++ % queries_.size()];
    if (!query.IsUp()) continue;
    asking_ = true;
    bool sent = query.Command(
        {"SENTINEL", "get-master-addr-by-name", endpoint_.master_name},
        [this](const redisReply* r) {
          asking_ = false;
          RedisAddress address;
          if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
              !ParseAddress(ReplyText(r->element[0]), ReplyText(r->element[1]), &address)) {
            if (r != nullptr && !known_)
              log::Warn("redis.sentinel_unknown_master", {{"master", endpoint_.master_name}});
            return;
          }
          Answered(address, "asked");
        });
    if (!sent) asking_ = false;
    return;
  }
}

void SentinelWatch::Answered(const RedisAddress& primary, const char* how) {
  if (known_ && primary == primary_) return;
  bool first = !known_;
  known_ = true;
  primary_ = primary;
  if (!first) ++switches_;
  log::Info(
      first ? "redis.sentinel_primary" : "redis.sentinel_switch",
      {{"master", endpoint_.master_name},
       {"primary", std::string(primary.host).append(":").append(std::to_string(primary.port))},
       {"how", how}});
  for (RedisConnection* link : followers_) {
    link->Retarget(primary);
    if (first) link->Start();
  }
  uv_timer_start(&poll_timer_, &SentinelWatch::OnPollTimer, kPollEveryMs, kPollEveryMs);
}

SentinelLink::SentinelLink(uv_loop_t* loop, RedisEndpoint endpoint, std::string name,
                           SentinelWatch& watch)
    : watch_(watch), connection_(loop, std::move(endpoint), std::move(name)) {
  connection_.OnUp([this] {
    if (on_up_) on_up_();
  });
  connection_.OnDown([this] {
    if (on_down_) on_down_();
  });
}

void SentinelLink::Stop(std::function<void()> done) {
  watch_.Unfollow(&connection_);
  connection_.Stop(std::move(done));
}

RedisLinkStats SentinelLink::Stats() const {
  RedisLinkStats stats;
  stats.failovers = watch_.Switches();
  return stats;
}

}  // namespace sp::services
