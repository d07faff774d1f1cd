// A Sentinel-managed primary. The sentinels are asked for the primary's
// address (SENTINEL get-master-addr-by-name) before the first connect, on a
// timer, and whenever a connection finds a replica where the primary was;
// their "+switch-master" messages retarget at once. A link whose primary
// changes behaves as after a Redis restart: pending replies fail, the link
// goes down and comes up again, and callers re-read what they hold.
//
// SentinelWatch talks to the sentinels (one query and one subscribed
// connection each); SentinelLink is the RedisLink services use, a
// connection the watch points at the current primary.
#pragma once

#include <uv.h>

#include <memory>
#include <string>
#include <vector>

#include "services/redis_connection.h"
#include "services/redis_link.h"

namespace sp::services {

class SentinelWatch {
 public:
  SentinelWatch(uv_loop_t* loop, RedisEndpoint endpoint);
  ~SentinelWatch();

  // `link` connects once the primary is known and follows it from then on.
  void Follow(RedisConnection* link);
  // The last follower gone stops the sentinel connections.
  void Unfollow(RedisConnection* link);
  void AskNow();
  uint64_t Switches() const { return switches_; }

 private:
  static void OnPollTimer(uv_timer_t* timer);
  void Start();
  void Stop();
  void Answered(const RedisAddress& primary, const char* how);

  uv_loop_t* loop_;
  RedisEndpoint endpoint_;
  std::vector<std::unique_ptr<RedisConnection>> queries_;
  std::vector<std::unique_ptr<RedisConnection>> subscribers_;
  std::vector<RedisConnection*> followers_;
  uv_timer_t poll_timer_;
  bool started_ = false;
  bool known_ = false;
  bool asking_ = false;
  size_t next_query_ = 0;
  RedisAddress primary_;
  uint64_t switches_ = 0;
};

class SentinelLink final : public RedisLink {
 public:
  SentinelLink(uv_loop_t* loop, RedisEndpoint endpoint, std::string name, SentinelWatch& watch);

  void Start() override { watch_.Follow(&connection_); }
  void Stop(std::function<void()> done = {}) override;
  bool IsUp() const override { return connection_.IsUp(); }
  uint64_t Generation() const override { return connection_.Generation(); }
  bool Command(const Argv& argv, Callback cb = {}) override {
    return connection_.Command(argv, std::move(cb));
  }
  void Subscribe(std::string channel, std::function<void(std::string_view)> on_message,
                 std::function<void()> on_confirmed = {}) override {
    connection_.Subscribe(std::move(channel), std::move(on_message), std::move(on_confirmed));
  }
  void PSubscribe(
      std::string pattern,
      std::function<void(std::string_view channel, std::string_view message)> on_message,
      std::function<void()> on_confirmed = {}) override {
    connection_.PSubscribe(std::move(pattern), std::move(on_message), std::move(on_confirmed));
  }
  uint64_t CommandsSent() const override { return connection_.CommandsSent(); }
  RedisLinkStats Stats() const override;

 private:
  SentinelWatch& watch_;
  RedisConnection connection_;
};

}  // namespace sp::services
