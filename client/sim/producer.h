// The simulator's link to Redis for pushing events. A lost link is not the
// end of the run: it reconnects with backoff (100 ms doubling to 2 s), and
// counts each outage and its length for the summary.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "client/redis_sync.h"

namespace sealpost::sim {

class Producer {
 public:
  enum class State { Up, Down, Reconnected };

  // The first connection: failing here ends the run before it starts.
  // `password_file` (may be empty) is read again on every reconnect.
  bool Connect(std::string_view url, const std::string& password_file, std::string* error);
  // Up while the link holds; Down while Redis cannot be reached (a new
  // attempt is made when the backoff allows); Reconnected once, when an
  // outage ends.
  State Check(uint64_t now_ms);
  // A command found the link broken: the outage starts now.
  void LinkFailed(uint64_t now_ms);
  // One immediate attempt to reconnect, for the cleanup at the end of a run.
  bool EnsureConnected(std::string* error);

  tools::RedisSync& Redis() { return redis_; }
  uint64_t Outages() const { return outages_; }
  uint64_t OutageMs(uint64_t now_ms) const;  // an outage still going on counts to now

 private:
  bool TryConnect(std::string* error);

  std::string url_;
  std::string password_file_;
  tools::RedisSync redis_;
  bool down_ = false;
  uint64_t down_since_ms_ = 0;
  uint64_t next_try_ms_ = 0;
  uint64_t backoff_ms_ = 0;
  uint64_t outages_ = 0;
  uint64_t outage_ms_ = 0;
};

}  // namespace sealpost::sim
