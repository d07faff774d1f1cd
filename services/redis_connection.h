// One asynchronous hiredis connection on the libuv loop, reconnecting with
// backoff for as long as it is started: the link to one Redis server, and
// the per-server link under ClusterLink and SentinelWatch.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "services/redis_link.h"

struct redisAsyncContext;

namespace sp::services {

class RedisConnection final : public RedisLink {
 public:
  RedisConnection(uv_loop_t* loop, RedisEndpoint endpoint, std::string name);
  ~RedisConnection() override;

  void Start() override;
  void Stop(std::function<void()> done = {}) override;
  bool IsUp() const override { return up_; }
  uint64_t Generation() const override { return generation_; }
  bool Command(const Argv& argv, Callback cb = {}) override;
  void Subscribe(std::string channel, std::function<void(std::string_view)> on_message,
                 std::function<void()> on_confirmed = {}) override;
  void PSubscribe(
      std::string pattern,
      std::function<void(std::string_view channel, std::string_view message)> on_message,
      std::function<void()> on_confirmed = {}) override;
  uint64_t CommandsSent() const override { return commands_sent_; }
  RedisLinkStats Stats() const override;

  const RedisEndpoint& Endpoint() const { return endpoint_; }
  // Points the link at another server (the primary a sentinel now names):
  // an open connection is closed after its pending replies, and the next
  // one goes to `address`. A no-op when already there.
  void Retarget(const RedisAddress& address);
  // Sentinel-managed links: after AUTH/SELECT the server must say it is a
  // primary (ROLE), else the link does not come up and `on_not_primary` runs
  // (a demoted primary that came back as a replica).
  void RequirePrimary(std::function<void()> on_not_primary) {
    on_not_primary_ = std::move(on_not_primary);
  }

 private:
  static void OnConnect(const redisAsyncContext* ac, int status);
  static void OnDisconnect(const redisAsyncContext* ac, int status);
  static void OnReply(redisAsyncContext* ac, void* reply, void* privdata);
  static void OnSubscribeReply(redisAsyncContext* ac, void* reply, void* privdata);
  static void OnRetryTimer(uv_timer_t* timer);
  static void OnWatchdog(uv_timer_t* timer);
  void CloseHandles();

  void Connect();
  void Handshake();
  void BecomeUp();
  void LinkLost(const char* why);
  void ScheduleReconnect();

  uv_loop_t* loop_;
  RedisEndpoint endpoint_;
  std::string name_;
  redisAsyncContext* ac_ = nullptr;
  uv_timer_t retry_timer_;
  uv_timer_t watchdog_timer_;
  uint64_t up_since_ms_ = 0;
  uint64_t ping_outstanding_since_ms_ = 0;
  bool connected_ = false;
  bool handshake_failed_ = false;
  uint64_t backoff_ms_ = 0;
  bool started_ = false;
  bool stopping_ = false;
  bool up_ = false;
  bool ever_up_ = false;
  uint64_t commands_sent_ = 0;
  uint64_t generation_ = 0;  // process-wide unique (lua_script.h keys by it)
  std::function<void()> on_stopped_;
  std::function<void()> on_not_primary_;
  uint64_t retargets_ = 0;
  struct Subscription {
    std::string channel;  // or pattern
    bool pattern = false;
    std::function<void(std::string_view channel, std::string_view message)> on_message;
    std::function<void()> on_confirmed;
  };
  void SendSubscribe(Subscription* sub);
  std::vector<std::unique_ptr<Subscription>> subscriptions_;
};

}  // namespace sp::services
