// The two links a node talks to Redis through (commands, pipelined; and
// subscriptions), made for the topology --redis names.
#pragma once

#include <uv.h>

#include <memory>

#include "services/redis_link.h"

namespace sp::services {

class SentinelWatch;

struct RedisLinks {
  RedisLinks();
  RedisLinks(RedisLinks&&) noexcept;
  ~RedisLinks();
  std::unique_ptr<SentinelWatch> watch;  // sentinel only; outlives both links
  std::unique_ptr<RedisLink> commands;
  std::unique_ptr<RedisLink> subscriber;
};

RedisLinks MakeRedisLinks(uv_loop_t* loop, const RedisEndpoint& endpoint);

}  // namespace sp::services
