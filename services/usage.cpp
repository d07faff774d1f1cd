#include "services/usage.h"

#include <map>

#include <algorithm>

#include "shared/messages.h"

namespace sp::services {
namespace {

// One call for many usage hashes: KEYS are the hashes; ARGV per key:
// last_seen (or "" for none), the number of pairs, then counter/amount pairs.
constexpr std::string_view kUsageScript =
    "local a = 1 "
    "for _, key in ipairs(KEYS) do "
    "local n = tonumber(ARGV[a + 1]) "
    "for i = a + 2, a + 2 * n, 2 do redis.call('HINCRBY', key, ARGV[i], ARGV[i + 1]) end "
    "if ARGV[a] ~= '' then redis.call('HSET', key, 'last_seen', ARGV[a]) end "
    "a = a + 2 + 2 * n "
    "end "
    "return #KEYS";

// Hashes per call: a bounded call keeps any one script short for the other
// clients' commands.
constexpr size_t kHashesPerCall = 256;

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
  // One call per shard (a cluster slot): a script touches keys of one slot.
  using Calls = std::vector<std::pair<std::string, Dirty>>;
  std::map<uint32_t, std::shared_ptr<Calls>> open;
  for (auto& [client, d] : dirty_) {
    auto& dirty = open[link_.BatchShard(keys_.Usage(client))];
    if (!dirty) dirty = std::make_shared<Calls>();
    dirty->emplace_back(client, d);
    if (dirty->size() == kHashesPerCall) Send(std::move(dirty));
  }
  dirty_.clear();
  for (auto& [shard, dirty] : open)
    if (dirty && !dirty->empty()) Send(std::move(dirty));
  if (AnyNonZero(node_dirty_)) {
    Counts node = node_dirty_;
    node_dirty_ = {};
    SendNode(node);
  }
}

void Usage::AppendArgs(const std::string& key, int64_t last_seen, const Counts& counts,
                       CallArgs* call) {
  call->keys.push_back(key);
  call->values.push_back(last_seen == 0 ? std::string() : std::to_string(last_seen));
  size_t pairs = 0;
  for (uint64_t c : counts) pairs += c != 0;
  call->values.push_back(std::to_string(pairs));
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0) continue;
    call->values.emplace_back(kNames[i]);
    call->values.push_back(std::to_string(counts[i]));
  }
}

bool Usage::Run(const CallArgs& call, RedisLink::Callback cb) {
  std::string numkeys = std::to_string(call.keys.size());
  RedisLink::Argv argv = {numkeys};  // views: `call` outlives Run()
  argv.reserve(1 + call.keys.size() + call.values.size());
  for (const std::string& key : call.keys) argv.push_back(key);
  for (const std::string& value : call.values) argv.push_back(value);
  return script_.Run(link_, argv, std::move(cb));
}

void Usage::Send(std::shared_ptr<std::vector<std::pair<std::string, Dirty>>> dirty) {
  CallArgs call;
  for (const auto& [client, d] : *dirty)
    AppendArgs(keys_.Usage(client), d.last_seen, d.counts, &call);
  // Lost with the link: merged back so the next flush carries it.
  auto merge_back = [this, dirty] {
    for (const auto& [client, d] : *dirty) MergeBack(client, d);
  };
  bool sent = Run(call, [merge_back](const redisReply* r) {
    if (r == nullptr || IsTransientRedisError(r)) merge_back();
  });
  if (!sent) merge_back();
}

void Usage::MergeBack(const std::string& client, const Dirty& d) {
  Dirty& again = dirty_[client];
  for (size_t i = 0; i < d.counts.size(); ++i) again.counts[i] += d.counts[i];
  again.last_seen = std::max(again.last_seen, d.last_seen);
}

void Usage::SendNode(const Counts& counts) {
  CallArgs call;
  AppendArgs(keys_.NodeUsage(node_), 0, counts, &call);
  if (!Run(call, {})) {
    for (size_t i = 0; i < counts.size(); ++i) node_dirty_[i] += counts[i];
  }
}

}  // namespace sp::services
