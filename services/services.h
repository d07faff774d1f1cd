// Everything Redis, wired for one node: the narrow interface `connections/`
// talks to. Two links: one for commands (pipelined), one subscribed; on one
// server, a Redis Cluster or a Sentinel-managed primary (redis_links.h).
#pragma once

#include <uv.h>

#include <memory>
#include <string>

#include "services/event_store.h"
#include "services/groups.h"
#include "services/inbound.h"
#include "services/keys.h"
#include "services/mailbox.h"
#include "services/notifier.h"
#include "services/presence.h"
#include "services/queue_depths.h"
#include "services/redis_link.h"
#include "services/redis_links.h"
#include "services/registry.h"
#include "services/revocations.h"
#include "services/session_start.h"
#include "services/usage.h"

namespace sp::services {

struct ServicesConfig {
  RedisEndpoint redis;
  std::string key_prefix = "sp:";
  // Streams sp:inbound and sp:requests:<method> are split into (services/keys.h);
  // 0: 16 on a Redis Cluster, else 1.
  uint32_t inbound_shards = 0;
  std::string node;
  Inbound::Config inbound;  // trim of sp:inbound, window of remembered client-event ids
  uint64_t node_ttl_ms = 15000;
  Mailbox::Config mailbox;  // direct and group messages, server replies
  size_t max_group_members = 10000;
};

inline uint32_t InboundShardsFor(const ServicesConfig& config) {
  if (config.inbound_shards != 0) return config.inbound_shards;
  return config.redis.topology == RedisTopology::kCluster ? 16 : 1;
}

class Services {
 public:
  Services(uv_loop_t* loop, const ServicesConfig& config)
      : keys(config.key_prefix, InboundShardsFor(config)),
        links_(MakeRedisLinks(loop, config.redis)),
        commands(*links_.commands),
        subscriber(*links_.subscriber),
        events(commands, keys),
        inbound(commands, keys, config.inbound),
        mailbox(commands, keys, config.mailbox),
        groups(commands, keys, mailbox, config.max_group_members),
        registry(commands, keys),
        usage(commands, keys, config.node),
        presence(commands, subscriber, keys, config.node, config.node_ttl_ms),
        session_start(commands, keys, config.node),
        notifier(commands, subscriber, keys, config.redis.db),
        revocations(subscriber, keys, config.redis.db),
        queue_depths(commands, keys) {}

  Keys keys;

 private:
  RedisLinks links_;

 public:
  RedisLink& commands;
  RedisLink& subscriber;
  EventStore events;
  Inbound inbound;
  Mailbox mailbox;
  Groups groups;
  Registry registry;
  Usage usage;
  Presence presence;
  SessionStarter session_start;
  Notifier notifier;
  Revocations revocations;
  QueueDepths queue_depths;
};

}  // namespace sp::services
