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

class Keys {
 public:
  explicit Keys(std::string prefix = "sp:") : prefix_(std::move(prefix)) {}

  const std::string& Prefix() const { return prefix_; }
  std::string Events(std::string_view id) const { return Tagged(id, "events"); }
  std::string Dead(std::string_view id) const { return Tagged(id, "dead"); }
  std::string Client(std::string_view id) const { return Tagged(id, "client"); }
  std::string Usage(std::string_view id) const { return Tagged(id, "usage"); }
  std::string Presence(std::string_view id) const { return Tagged(id, "presence"); }
  // A client's inbound counters for one UTC day (days since the epoch).
  std::string InboundDay(std::string_view id, int64_t day) const {
    return Tagged(id, "inbound:" + std::to_string(day));
  }
  std::string Inbound() const { return prefix_ + "inbound"; }
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
  bool ParseTagged(std::string_view key, std::string_view suffix, std::string* id) const;
  std::string Tagged(std::string_view id, std::string_view suffix) const {
    std::string key;
    key.reserve(prefix_.size() + id.size() + suffix.size() + 3);
    key.append(prefix_).append("{").append(id).append("}:").append(suffix);
    return key;
  }
  std::string prefix_;
};

}  // namespace sp::services
