// sp:inbound: the stream backend workers consume client-events from.
#pragma once

#include <functional>
#include <string>

#include "services/keys.h"
#include "services/redis_link.h"
#include "shared/messages.h"

namespace sp::services {

class Inbound {
 public:
  // ok=false: Redis did not accept it (down or error); the client may retry.
  using DoneCallback = std::function<void(bool ok, std::string_view stream_id)>;

  // max_len > 0 trims the stream approximately (MAXLEN ~) so it cannot grow
  // without bound when no worker consumes it; 0 keeps everything.
  Inbound(RedisLink& link, const Keys& keys, size_t max_len)
      : link_(link), key_(keys.Inbound()), max_len_(max_len) {}

  // Fields: client, id, ts, then the event's own fields in order.
  void Add(const std::string& client, const proto::ClientEvent& event, DoneCallback cb);

 private:
  RedisLink& link_;
  std::string key_;
  size_t max_len_;
};

}  // namespace sp::services
