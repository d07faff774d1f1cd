// Tells the node when a client's events stream got a new entry, through
// Redis keyspace notifications (keyevent class, XADD), and switches on the
// notifications Revocations listens to as well. Notifications are the
// fast path only: they can be lost, so callers also read on every connect and
// after every reconnect. When the server may not enable notifications
// (CONFIG refused), the notifier reports polling mode instead.
#pragma once

#include <functional>
#include <string>

#include "services/keys.h"
#include "services/redis_link.h"

namespace sp::services {

class Notifier {
 public:
  using NewEventsHandler = std::function<void(const std::string& client)>;

  Notifier(RedisLink& commands, RedisLink& subscriber, const Keys& keys, int db)
      : commands_(commands), subscriber_(subscriber), keys_(keys), db_(db) {}

  // Subscribes and asks Redis to publish stream events. Call EnsureEnabled()
  // again after every reconnect of the command link: a restarted Redis
  // forgets CONFIG SET.
  // `on_ready` runs whenever missed notifications are possible and have just
  // stopped being possible (subscription confirmed, notifications switched
  // on after a Redis restart): the caller reads every session's stream then.
  void Start(NewEventsHandler on_new_events, std::function<void()> on_ready);
  void EnsureEnabled();

  // False when Redis refused CONFIG SET: the node must poll (docs/OPERATIONS.md).
  bool NotificationsEnabled() const { return enabled_; }

 private:
  // CONFIG GET, and SET when flags are missing, on one server; `done(enabled, switched_on)`.
  void EnableOn(RedisLink& server, std::function<void(bool, bool)> done);

  RedisLink& commands_;
  RedisLink& subscriber_;
  const Keys& keys_;
  int db_;
  bool enabled_ = false;
  std::function<void()> on_ready_;
};

}  // namespace sp::services
