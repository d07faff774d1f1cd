// An in-memory stand-in for the few Redis commands a session uses, for the
// whole-connection fuzz target. It replaces services::RedisConnection at link time
// (fake_redis_link.cpp defines RedisConnection's member functions; the real
// redis_link.cpp is then never pulled from libsp_services.a), so services/ and
// connections/ run unchanged. README.md explains the seam.
//
// Replies are real hiredis redisReply trees (RESP text read by hiredis's own
// reader) and arrive later, when the driver calls DeliverQueued() between
// turns of the loop, as from a real Redis: never inside the Command() call.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sp::fuzz {

class FakeRedis {
 public:
  static FakeRedis& Get();

  // Forgets every key; subscriptions and queued replies stay.
  void Reset();
  void HSet(const std::string& key, const std::string& field, const std::string& value);
  // Appends an entry to a stream as a producer would; returns its id.
  std::string XAdd(const std::string& key,
                   const std::vector<std::pair<std::string, std::string>>& fields);

  // Runs the replies and messages queued so far (not those they queue in
  // turn); false if there were none.
  bool DeliverQueued();
  size_t Queued() const;
};

}  // namespace sp::fuzz
