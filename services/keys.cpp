#include "services/keys.h"

#include "shared/client_id.h"

namespace sp::services {

uint32_t Keys::InboundShard(std::string_view id) const {
  uint32_t hash = 2166136261u;
  for (unsigned char c : id) hash = (hash ^ c) * 16777619u;
  return hash % inbound_shards_;
}

bool Keys::ParseEventsKey(std::string_view key, std::string* id) const {
  return ParseTagged(key, "}:events", id);
}

bool Keys::ParseClientKey(std::string_view key, std::string* id) const {
  return ParseTagged(key, "}:client", id);
}

bool Keys::ParseTagged(std::string_view key, std::string_view kSuffix, std::string* id) const {
  if (key.size() <= prefix_.size() + 1 + kSuffix.size()) return false;
  if (key.substr(0, prefix_.size()) != prefix_ || key[prefix_.size()] != '{') return false;
  if (key.substr(key.size() - kSuffix.size()) != kSuffix) return false;
  std::string_view inner =
      key.substr(prefix_.size() + 1, key.size() - prefix_.size() - 1 - kSuffix.size());
  if (!proto::IsValidClientId(inner)) return false;
  id->assign(inner);
  return true;
}

}  // namespace sp::services
