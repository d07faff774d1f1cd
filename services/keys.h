// Redis key names (docs/OPERATIONS.md "Redis keys"). Every key of one client
// carries the hash tag {ID}, so a Redis Cluster keeps them in one slot; ids
// obey proto::IsValidClientId (shared/client_id.h), so no brace or colon can
// break a key apart.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sp::services {

constexpr std::string_view kGroup = "sealpost";  // consumer group on every events stream
// The one consumer of every events stream's group (services/stream_reader.h says why).
constexpr std::string_view kConsumer = "sealpost";

class Keys {
 public:
  // `inbound_shards`: sp:inbound (and each sp:requests:<method>) is one
  // stream when 1, else that many streams sp:inbound:{0}..{N-1}, each client
  // writing to the one its id picks (InboundShard), so that in a Redis
  // Cluster no single slot carries every client-event.
  explicit Keys(std::string prefix = "sp:", uint32_t inbound_shards = 1)
      : prefix_(std::move(prefix)), inbound_shards_(inbound_shards == 0 ? 1 : inbound_shards) {}

  const std::string& Prefix() const { return prefix_; }
  uint32_t InboundShards() const { return inbound_shards_; }
  // Which shard a client's client-events and requests go to (FNV-1a of its
  // id, modulo the shard count): stable, so one client's events stay in order.
  uint32_t InboundShard(std::string_view id) const;
  std::string Events(std::string_view id) const { return Tagged(id, "events"); }
  std::string Dead(std::string_view id) const { return Tagged(id, "dead"); }
  std::string Client(std::string_view id) const { return Tagged(id, "client"); }
  std::string Usage(std::string_view id) const { return Tagged(id, "usage"); }
  std::string Presence(std::string_view id) const { return Tagged(id, "presence"); }
  std::string Epoch(std::string_view id) const { return Tagged(id, "epoch"); }
  // Senders' message ids recently stored in the client's events stream
  // (sorted set of "<sender> <id>", score: ms): resends are stored once.
  std::string Seen(std::string_view id) const { return Tagged(id, "seen"); }
  // The groups the client belongs to (set; kept by `sealpost group`).
  std::string ClientGroups(std::string_view id) const { return Tagged(id, "groups"); }
  // A group's members (set of client ids), its options (hash) and the index
  // of all group names (set).
  std::string Group(std::string_view name) const {
    return std::string(prefix_).append("group:").append(name);
  }
  std::string GroupOptions(std::string_view name) const { return Group(name).append(":options"); }
  std::string Groups() const { return prefix_ + "groups"; }
  // Requests for workers, one stream per method (per method and shard when
  // sharded), with their dedupe and day-counter keys in the stream's slot
  // (as for sp:inbound).
  std::string Requests(std::string_view method) const {
    return std::string(prefix_).append("requests:").append(method);
  }
  std::string Requests(std::string_view method, std::string_view id) const {
    return Sharded(Requests(method), id);
  }
  std::string RequestsSeen(std::string_view method, std::string_view id) const {
    return ShardTagged(Requests(method), id, "seen:").append(id);
  }
  std::string RequestsDay(std::string_view method, std::string_view id, int64_t day) const {
    return ShardTagged(Requests(method), id, "day:")
        .append(id)
        .append(":")
        .append(std::to_string(day));
  }
  // sp:inbound (one shard) or the stream of shard `shard`: "sp:inbound:{3}".
  std::string Inbound() const { return prefix_ + "inbound"; }
  std::string InboundStream(uint32_t shard) const {
    if (inbound_shards_ == 1) return Inbound();
    return Inbound().append(":{").append(std::to_string(shard)).append("}");
  }
  // The client's inbound stream.
  std::string Inbound(std::string_view id) const { return Sharded(Inbound(), id); }
  // Keys written by the script that adds to an inbound stream live in that
  // stream's slot ("{sp:inbound}:..." hashes like "sp:inbound"; a shard's
  // "sp:inbound:{3}:..." like "sp:inbound:{3}"), not under the client's tag,
  // so one script can touch them all in a Redis Cluster.
  // The ids of a client's recent client-events (sorted set, score: ms).
  std::string InboundSeen(std::string_view id) const {
    return ShardTagged(Inbound(), id, "seen:").append(id);
  }
  // A client's inbound counters for one UTC day (days since the epoch).
  std::string InboundDay(std::string_view id, int64_t day) const {
    return ShardTagged(Inbound(), id, "day:").append(id).append(":").append(std::to_string(day));
  }
  std::string Nodes() const { return prefix_ + "nodes"; }
  std::string Node(std::string_view node) const { return prefix_ + "node:" + std::string(node); }
  // The clients a node holds (client -> since); expires with the node.
  std::string NodeClients(std::string_view node) const { return Node(node) + ":clients"; }
  std::string NodeUsage(std::string_view node) const {
    return prefix_ + "usage:node:" + std::string(node);
  }
  std::string ControlChannel() const { return prefix_ + "control"; }

  // Extracts the client id from "<prefix>{ID}:events"; false for any other key.
  bool ParseEventsKey(std::string_view key, std::string* id) const;
  // The same for "<prefix>{ID}:client".
  bool ParseClientKey(std::string_view key, std::string* id) const;
  // The pattern that matches every client record ("<prefix>{*}:client").
  std::string ClientPattern() const { return prefix_ + "{*}:client"; }

 private:
  std::string Sharded(std::string stream, std::string_view id) const {
    if (inbound_shards_ == 1) return stream;
    return stream.append(":{").append(std::to_string(InboundShard(id))).append("}");
  }
  // A key in the slot of the client's (sharded) stream.
  std::string ShardTagged(std::string stream, std::string_view id, std::string_view suffix) const {
    if (inbound_shards_ == 1) return std::string("{").append(stream).append("}:").append(suffix);
    return Sharded(std::move(stream), id).append(":").append(suffix);
  }
  bool ParseTagged(std::string_view key, std::string_view suffix, std::string* id) const;
  std::string Tagged(std::string_view id, std::string_view suffix) const {
    std::string key;
    key.reserve(prefix_.size() + id.size() + suffix.size() + 3);
    key.append(prefix_).append("{").append(id).append("}:").append(suffix);
    return key;
  }
  std::string prefix_;
  uint32_t inbound_shards_;
};

}  // namespace sp::services
