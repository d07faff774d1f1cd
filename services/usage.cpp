#include "services/usage.h"

#include <algorithm>

#include "shared/messages.h"

namespace sp::services {
namespace {

// ARGV: last_seen (or "" for none), then counter/amount pairs.
constexpr std::string_view kUsageScript =
    "for i = 2, #ARGV - 1, 2 do redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1]) end "
    "if ARGV[1] ~= '' then redis.call('HSET', KEYS[1], 'last_seen', ARGV[1]) end "
    "return 1";

constexpr const char* kNames[] = {"delivered",     "acked",    "retried",   "dead",
                                  "client_events", "bytes_in", "bytes_out", "connects"};
static_assert(std::size(kNames) == static_cast<size_t>(Counter::kCount));

bool AnyNonZero(const Usage::Counts& c) {
  for (uint64_t v : c)
    if (v) return true;
  return false;
}

}  // namespace

std::string_view Usage::ScriptText() {
  return kUsageScript;
}

const char* CounterName(Counter c) {
  return kNames[static_cast<size_t>(c)];
}

void Usage::Add(const std::string& client, Counter counter, uint64_t n) {
  auto i = static_cast<size_t>(counter);
  Dirty& d = dirty_[client];
  d.counts[i] += n;
  d.last_seen = proto::NowMs();
  node_dirty_[i] += n;
  totals_[i] += n;
}

void Usage::Flush() {
  if (!link_.IsUp()) return;
  auto dirty = std::move(dirty_);
  dirty_.clear();
  for (const auto& [client, d] : dirty) SendClient(client, d);
  if (AnyNonZero(node_dirty_)) {
    Counts node = node_dirty_;
    node_dirty_ = {};
    SendNode(node);
  }
}

void Usage::SendClient(const std::string& client, const Dirty& d) {
  std::array<std::string, static_cast<size_t>(Counter::kCount)> amounts;
  std::string last_seen = std::to_string(d.last_seen);
  std::string key = keys_.Usage(client);  // Argv holds views: keep the key alive
  RedisLink::Argv argv = {"1", key, last_seen};
  for (size_t i = 0; i < amounts.size(); ++i) {
    if (d.counts[i] == 0) continue;
    amounts[i] = std::to_string(d.counts[i]);
    argv.push_back(kNames[i]);
    argv.push_back(amounts[i]);
  }
  // Lost with the link: merged back so the next flush carries it.
  bool sent = script_.Run(link_, argv, [this, client, d](const redisReply* r) {
    if (r == nullptr || IsTransientRedisError(r)) MergeBack(client, d);
  });
  if (!sent) MergeBack(client, d);
}

void Usage::MergeBack(const std::string& client, const Dirty& d) {
  Dirty& again = dirty_[client];
  for (size_t i = 0; i < d.counts.size(); ++i) again.counts[i] += d.counts[i];
  again.last_seen = std::max(again.last_seen, d.last_seen);
}

void Usage::SendNode(const Counts& counts) {
  std::array<std::string, static_cast<size_t>(Counter::kCount)> amounts;
  std::string key = keys_.NodeUsage(node_);  // Argv holds views: keep the key alive
  RedisLink::Argv argv = {"1", key, ""};
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0) continue;
    amounts[i] = std::to_string(counts[i]);
    argv.push_back(kNames[i]);
    argv.push_back(amounts[i]);
  }
  if (!script_.Run(link_, argv, {})) {
    for (size_t i = 0; i < counts.size(); ++i) node_dirty_[i] += counts[i];
  }
}

}  // namespace sp::services
