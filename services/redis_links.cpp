#include "services/redis_links.h"

#include "services/cluster_link.h"
#include "services/cluster_subscriber.h"
#include "services/redis_connection.h"
#include "services/sentinel_link.h"

namespace sp::services {

RedisLinks::RedisLinks() = default;
RedisLinks::RedisLinks(RedisLinks&&) noexcept = default;
RedisLinks::~RedisLinks() {
  // Links first: their connections' last callbacks may still reach the watch.
  subscriber.reset();
  commands.reset();
  watch.reset();
}

RedisLinks MakeRedisLinks(uv_loop_t* loop, const RedisEndpoint& endpoint) {
  RedisLinks links;
  switch (endpoint.topology) {
    case RedisTopology::kSingle:
      links.commands = std::make_unique<RedisConnection>(loop, endpoint, "commands");
      links.subscriber = std::make_unique<RedisConnection>(loop, endpoint, "subscriber");
      break;
    case RedisTopology::kCluster: {
      auto commands = std::make_unique<ClusterLink>(loop, endpoint, "commands");
      links.subscriber =
          std::make_unique<ClusterSubscriber>(loop, endpoint, "subscriber", *commands);
      links.commands = std::move(commands);
      break;
    }
    case RedisTopology::kSentinel:
      links.watch = std::make_unique<SentinelWatch>(loop, endpoint);
      links.commands = std::make_unique<SentinelLink>(loop, endpoint, "commands", *links.watch);
      links.subscriber = std::make_unique<SentinelLink>(loop, endpoint, "subscriber", *links.watch);
      break;
  }
  return links;
}

}  // namespace sp::services
