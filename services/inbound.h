// sp:inbound: the stream backend workers consume client-events from.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "services/keys.h"
#include "services/redis_link.h"
#include "shared/messages.h"

namespace sp::services {

class Inbound {
 public:
  enum class Result : uint8_t {
    Stored,
    OverDailyQuota,  // not stored: the client's events or bytes for today are used up
    Failed,          // Redis did not accept it (down or error); the client may retry
  };
  using DoneCallback = std::function<void(Result result)>;

  // Per UTC day; 0 means no limit (and no counting).
  struct DailyQuota {
    uint64_t events = 0;
    uint64_t bytes = 0;
  };

  // max_len > 0 trims the stream approximately (MAXLEN ~) so it cannot grow
  // without bound when no worker consumes it; 0 keeps everything.
  Inbound(RedisLink& link, const Keys& keys, size_t max_len)
      : link_(link), keys_(keys), key_(keys.Inbound()), max_len_(max_len) {}

  // Fields: client, id, ts, then the event's own fields in order. With a
  // daily quota, the day's counters (sp:{ID}:inbound:<day>, kept two days)
  // are checked and counted first, in one script, and the entry is added only
  // if the event fits.
  void Add(const std::string& client, const proto::ClientEvent& event, uint64_t bytes,
           DailyQuota daily, DoneCallback cb);

 private:
  void Append(const std::string& client, const proto::ClientEvent& event, DoneCallback cb);

  RedisLink& link_;
  const Keys& keys_;
  std::string key_;
  size_t max_len_;
};

}  // namespace sp::services
