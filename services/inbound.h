// sp:inbound and sp:requests:<method>: the streams backend workers consume
// client-events and requests from.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "services/keys.h"
#include "services/lua_script.h"
#include "services/redis_link.h"
#include "shared/messages.h"

namespace sp::services {

class Inbound {
 public:
  enum class Result : uint8_t {
    Stored,
    Duplicate,       // not stored again: this client's event with this id is already there
    OverDailyQuota,  // not stored: the client's events or bytes for today are used up
    Failed,          // Redis did not accept it (down or error); the client may retry
  };
  using DoneCallback = std::function<void(Result result)>;

  // Per UTC day; 0 means no limit (and no counting).
  struct DailyQuota {
    uint64_t events = 0;
    uint64_t bytes = 0;
  };

  struct Config {
    // > 0 trims the stream approximately (MAXLEN ~) so it cannot grow without
    // bound when no worker consumes it; 0 keeps everything.
    size_t max_len = 1000000;
    // A client-event id is remembered per client for this long (Redis time),
    // and for at most the client's last `dedupe_max_ids` events; 0: off.
    uint64_t dedupe_window_ms = 600000;
    uint32_t dedupe_max_ids = 1000;
  };

  Inbound(RedisLink& link, const Keys& keys, Config config);

  // Fields: client, id, ts, then the event's own fields in order. One script,
  // in the stream's slot: an id this client used within the window is a
  // Duplicate (nothing written, nothing counted); else, with a daily quota,
  // the day's counters ({sp:inbound}:day:<ID>:<day>, kept two days) are
  // checked and counted; then the entry is added and its id remembered.
  void Add(const std::string& client, const proto::ClientEvent& event, uint64_t bytes,
           DailyQuota daily, DoneCallback cb);
  // The same for a request, into sp:requests:<method>, with its own seen ids
  // and day counters in that stream's slot. Fields: client, id, ts, method,
  // params (JSON text).
  void AddRequest(const std::string& client, const proto::Request& request, uint64_t bytes,
                  DailyQuota daily, DoneCallback cb);

 private:
  struct Target {
    std::string stream;
    std::string seen;
    std::string day;
  };
  void Store(const Target& target, const std::string& id, const proto::EventFields& head,
             const proto::EventFields& fields, uint64_t bytes, DailyQuota daily, DoneCallback cb);

  RedisLink& link_;
  const Keys& keys_;
  Config config_;
  LuaScript add_script_;
};

}  // namespace sp::services
