#include "services/cluster_slots.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <cctype>

#include "services/redis_reply.h"

namespace sp::services {
namespace {

constexpr auto kCrc16Table = [] {
  std::array<uint16_t, 256> table{};
  for (uint16_t i = 0; i < 256; ++i) {
    uint16_t crc = static_cast<uint16_t>(i << 8);
    for (int bit = 0; bit < 8; ++bit)
      crc = static_cast<uint16_t>((crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1);
    table[i] = crc;
  }
  return table;
}();

bool AsSlot(const redisReply* r, uint16_t* slot) {
  if (r == nullptr || r->type != REDIS_REPLY_INTEGER || r->integer < 0 ||
      r->integer >= kClusterSlots)
    return false;
  *slot = static_cast<uint16_t>(r->integer);
  return true;
}

}  // namespace

uint16_t Crc16(std::string_view data) {
  uint16_t crc = 0;
  for (unsigned char c : data)
    crc = static_cast<uint16_t>((crc << 8) ^ kCrc16Table[((crc >> 8) ^ c) & 0xFF]);
  return crc;
}

std::string_view HashTag(std::string_view key) {
  size_t open = key.find('{');
  if (open == std::string_view::npos) return key;
  size_t close = key.find('}', open + 1);
  if (close == std::string_view::npos || close == open + 1) return key;
  return key.substr(open + 1, close - open - 1);
}

uint16_t KeySlot(std::string_view key) {
  return Crc16(HashTag(key)) % kClusterSlots;
}

size_t SlotMap::IndexOf(const ClusterNode& node) {
  auto it = std::find(nodes_.begin(), nodes_.end(), node);
  if (it != nodes_.end()) return static_cast<size_t>(it - nodes_.begin());
  nodes_.push_back(node);
  return nodes_.size() - 1;
}

bool SlotMap::Parse(const redisReply* reply, std::string* error, std::string_view asked_host) {
  if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY) {
    *error = "CLUSTER SLOTS: not an array";
    return false;
  }
  SlotMap next;
  std::array<bool, kClusterSlots> covered{};
  for (size_t i = 0; i < reply->elements; ++i) {
    const redisReply* range = reply->element[i];
    uint16_t first = 0, last = 0;
    if (range->type != REDIS_REPLY_ARRAY || range->elements < 3 ||
        !AsSlot(range->element[0], &first) || !AsSlot(range->element[1], &last) || last < first) {
      *error = "CLUSTER SLOTS: malformed slot range";
      return false;
    }
    ClusterNode node;
    for (size_t n = 2; n < range->elements; ++n) {
      const redisReply* entry = range->element[n];
      if (entry->type != REDIS_REPLY_ARRAY || entry->elements < 2 ||
          entry->element[0]->type != REDIS_REPLY_STRING ||
          entry->element[1]->type != REDIS_REPLY_INTEGER || entry->element[1]->integer <= 0 ||
          entry->element[1]->integer > 65535) {
        *error = "CLUSTER SLOTS: malformed node";
        return false;
      }
      std::string_view host = ReplyText(entry->element[0]);
      if (host.empty() || host == "?") host = asked_host;
      ClusterNode address{std::string(host), static_cast<int>(entry->element[1]->integer)};
      if (n == 2) {
        node = address;
      } else if (std::find(next.replicas_.begin(), next.replicas_.end(), address) ==
                 next.replicas_.end()) {
        next.replicas_.push_back(address);
      }
    }
    size_t index = next.IndexOf(node);
    for (uint32_t s = first; s <= last; ++s) {
      next.owner_[s] = static_cast<uint16_t>(index);
      covered[s] = true;
    }
  }
  if (std::find(covered.begin(), covered.end(), false) != covered.end()) {
    *error = "CLUSTER SLOTS: some slots have no primary";
    return false;
  }
  *this = std::move(next);
  return true;
}

std::optional<size_t> SlotMap::NodeOf(uint16_t slot) const {
  if (nodes_.empty() || slot >= kClusterSlots) return std::nullopt;
  return owner_[slot];
}

void SlotMap::Move(uint16_t slot, const ClusterNode& node) {
  if (slot >= kClusterSlots) return;
  owner_[slot] = static_cast<uint16_t>(IndexOf(node));
}

}  // namespace sp::services

namespace sp::services {
namespace {

bool Is(std::string_view word, std::string_view upper) {
  if (word.size() != upper.size()) return false;
  for (size_t i = 0; i < word.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(word[i])) != upper[i]) return false;
  return true;
}

}  // namespace

std::optional<std::string_view> CommandKey(const std::vector<std::string_view>& argv) {
  if (argv.size() < 2) return std::nullopt;
  std::string_view name = argv[0];
  if (Is(name, "EVAL") || Is(name, "EVALSHA") || Is(name, "EVAL_RO") || Is(name, "EVALSHA_RO") ||
      Is(name, "FCALL")) {
    if (argv.size() < 4 || argv[2] == "0") return std::nullopt;
    return argv[3];
  }
  if (Is(name, "XREAD") || Is(name, "XREADGROUP")) {
    for (size_t i = 1; i + 1 < argv.size(); ++i)
      if (Is(argv[i], "STREAMS")) return argv[i + 1];
    return std::nullopt;
  }
  for (std::string_view keyless :
       {"PING",   "INFO",    "CONFIG",   "SCRIPT",   "CLUSTER", "PUBLISH", "ROLE",
        "TIME",   "COMMAND", "DBSIZE",   "SELECT",   "AUTH",    "ECHO",    "WAIT",
        "CLIENT", "ASKING",  "FUNCTION", "LASTSAVE", "MULTI",   "EXEC"})
    if (Is(name, keyless)) return std::nullopt;
  // Subcommand first, key second.
  for (std::string_view sub : {"XGROUP", "XINFO", "OBJECT", "MEMORY"})
    if (Is(name, sub)) return argv.size() > 2 ? std::optional(argv[2]) : std::nullopt;
  return argv[1];
}

}  // namespace sp::services
