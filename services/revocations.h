// Tells the node when a client's record (<prefix>{ID}:client: its key, its
// disabled flag) changed or went away, so a live session of that client can
// be checked again at once instead of at its next connect. The source is a
// keyspace notification (pattern subscription on the client keys, class
// K + h + g, which the Notifier enables); like every notification it is a
// fast path only, and the hub re-checks sessions on its poll timer when
// notifications are unavailable.
#pragma once

#include <functional>
#include <string>

#include "services/keys.h"
#include "services/redis_link.h"

namespace sp::services {

class Revocations {
 public:
  using ChangedHandler = std::function<void(const std::string& client)>;

  Revocations(RedisLink& subscriber, const Keys& keys, int db)
      : subscriber_(subscriber), keys_(keys), db_(db) {}

  // `on_changed` runs for every write to, removal, expiry or eviction of a
  // client record. `on_resubscribed` runs whenever the subscription is
  // confirmed (again): changes made while it was away were not announced, so
  // every session must be checked then.
  void Watch(ChangedHandler on_changed, std::function<void()> on_resubscribed);

 private:
  RedisLink& subscriber_;
  const Keys& keys_;
  int db_;
};

}  // namespace sp::services
