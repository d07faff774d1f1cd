// How much waits for each of some clients, for the status page: the length of
// the client's events stream (entries are deleted when acked, so this is what
// is undelivered plus what is unacked) and of its dead letters. Two XLENs per
// client, pipelined on the command link: one round trip per call, and only
// when someone looks at the page.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "services/keys.h"
#include "services/redis_link.h"

namespace sp::services {

struct QueueDepth {
  std::string client;
  uint64_t queued = 0;
  uint64_t dead = 0;
};

class QueueDepths {
 public:
  using Done = std::function<void(std::vector<QueueDepth>)>;
  QueueDepths(RedisLink& link, const Keys& keys) : link_(link), keys_(keys) {}

  // Reads the depths of `clients` and calls `done` once with all of them
  // (those Redis could not answer for, because the link went down, count 0).
  // `done` runs right away when the link is down or `clients` is empty.
  void Read(std::vector<std::string> clients, Done done);

 private:
  RedisLink& link_;
  const Keys& keys_;
};

}  // namespace sp::services
