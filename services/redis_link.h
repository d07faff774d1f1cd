// One asynchronous hiredis connection on the libuv loop, reconnecting with
// backoff for as long as it is started. Commands written in one loop
// iteration leave in one write, so callers pipeline simply by issuing them.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct redisAsyncContext;
struct redisReply;

namespace sp::services {

struct RedisEndpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string password;  // never logged
  std::string username;  // Redis 6 ACL user; empty = default user
  int db = 0;
};

// redis://[[user]:password@]host[:port][/db]; false with a reason on bad input.
[[nodiscard]] bool ParseRedisUrl(std::string_view url, RedisEndpoint* out, std::string* error);
// The URL with any password replaced by "***", for logs.
std::string RedactedUrl(const RedisEndpoint& endpoint);
// Sets endpoint->password to the first line of `path` (a trailing CR is
// dropped). A file readable only by the service keeps the password out of
// URLs, command lines and container configuration. False with a reason (the
// file's name, never its content) when it cannot be read or is empty.
[[nodiscard]] bool ReadRedisPasswordFile(const std::string& path, RedisEndpoint* endpoint,
                                         std::string* error);

class RedisLink {
 public:
  // `reply` is nullptr when the link went down before the reply arrived.
  using Callback = std::function<void(const redisReply* reply)>;
  using Argv = std::vector<std::string_view>;

  RedisLink(uv_loop_t* loop, RedisEndpoint endpoint, std::string name);
  ~RedisLink();
  RedisLink(const RedisLink&) = delete;
  RedisLink& operator=(const RedisLink&) = delete;

  void Start();
  // Disconnects after pending replies arrive; no reconnect. `done` runs once
  // the underlying handles are closed.
  void Stop(std::function<void()> done = {});

  bool IsUp() const { return up_; }
  // Counts the connections that became usable: what Redis remembers per
  // connection (loaded scripts) is valid only within one generation.
  uint64_t Generation() const { return generation_; }
  // Runs whenever the link becomes usable (after AUTH/SELECT) or is lost.
  void OnUp(std::function<void()> fn) { on_up_ = std::move(fn); }
  void OnDown(std::function<void()> fn) { on_down_ = std::move(fn); }

  // Sends one command. Returns false without calling `cb` when the link is
  // down: the caller decides whether to keep the work for later.
  bool Command(const Argv& argv, Callback cb = {});

  // Subscriber links only (no Command() on them): (re)subscribes to `channel`
  // on every connect and hands each published message to `on_message`.
  // `on_confirmed` runs each time Redis confirms the subscription (after every
  // reconnect): from then on no message is missed, so catch-up reads belong there.
  void Subscribe(std::string channel, std::function<void(std::string_view)> on_message,
                 std::function<void()> on_confirmed = {});

  // The same for a pattern (PSUBSCRIBE): `on_message` gets the channel too.
  void PSubscribe(
      std::string pattern,
      std::function<void(std::string_view channel, std::string_view message)> on_message,
      std::function<void()> on_confirmed = {});

  uint64_t CommandsSent() const { return commands_sent_; }

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
  uint64_t generation_ = 0;
  std::function<void()> on_up_;
  std::function<void()> on_down_;
  std::function<void()> on_stopped_;
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
