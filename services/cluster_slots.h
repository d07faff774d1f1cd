// Redis Cluster key routing: which of the 16,384 hash slots a key belongs to,
// and which primary serves a slot (the map CLUSTER SLOTS answers). Pure
// functions and data, no I/O: the cluster link asks, this decides.
//
// Every key of one client carries the hash tag {ID} (services/keys.h), so all
// of a client's keys share one slot, and so do the scripts that touch them.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "services/redis_endpoint.h"

struct redisReply;

namespace sp::services {

constexpr uint16_t kClusterSlots = 16384;

// CRC16-CCITT (XModem), the checksum Redis Cluster hashes keys with.
uint16_t Crc16(std::string_view data);

// The part of `key` that is hashed: the text between the first '{' and the
// next '}' when that is not empty, otherwise the whole key (as Redis does).
std::string_view HashTag(std::string_view key);

uint16_t KeySlot(std::string_view key);

using ClusterNode = RedisAddress;

// Slot -> index into Nodes() of the primary serving it.
class SlotMap {
 public:
  // From a CLUSTER SLOTS reply: [[start, end, [host, port, id...], replicas...]...].
  // False (and the map unchanged) when the reply is not one, or leaves a slot
  // without a primary. A node listed without a host ("" or "?") is at
  // `asked_host`, the host of the node that answered.
  [[nodiscard]] bool Parse(const redisReply* reply, std::string* error,
                           std::string_view asked_host = "127.0.0.1");

  const std::vector<ClusterNode>& Nodes() const { return nodes_; }
  // The primary of `slot`, or nullopt before a successful Parse.
  std::optional<size_t> NodeOf(uint16_t slot) const;
  // After a MOVED: `slot` now lives at host:port (added when new).
  void Move(uint16_t slot, const ClusterNode& node);
  bool Empty() const { return nodes_.empty(); }
  // Every replica the map lists (they may be promoted: a cluster link keeps
  // them to ask for the next map when primaries die).
  const std::vector<ClusterNode>& Replicas() const { return replicas_; }

 private:
  size_t IndexOf(const ClusterNode& node);

  std::vector<ClusterNode> nodes_;
  std::vector<ClusterNode> replicas_;
  std::array<uint16_t, kClusterSlots> owner_{};  // index into nodes_
};

}  // namespace sp::services

namespace sp::services {

// The key a command is routed by: the first key it names (EVAL/EVALSHA: the
// first of KEYS; XREAD/XREADGROUP: the first stream), or nullopt for
// commands without one (PING, CONFIG, SCRIPT, PUBLISH, ...), which any
// primary serves.
std::optional<std::string_view> CommandKey(const std::vector<std::string_view>& argv);

}  // namespace sp::services
