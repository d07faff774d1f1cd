// sealpost-sim's bookkeeping of pushes: the replies of a pipelined batch,
// and the pushes whose reply was lost with the Redis link, which Redis may
// have stored (then they are sent) or not (then they are not).
#include <charconv>
#include <cstdio>
#include <map>

#include "client/sim/sim.h"
#include "services/keys.h"

namespace sealpost::sim {

bool ParseStreamId(std::string_view id, uint64_t* ms, uint64_t* seq) {
  size_t dash = id.find('-');
  if (dash == std::string_view::npos) return false;
  const char* end = id.data() + id.size();
  auto a = std::from_chars(id.data(), id.data() + dash, *ms);
  auto b = std::from_chars(id.data() + dash + 1, end, *seq);
  return a.ec == std::errc() && b.ec == std::errc() && b.ptr == end;
}

// Replies are read before the loop runs again, so every event is recorded
// before its delivery can arrive.
void Sim::ReadPushReplies(const std::vector<uint32_t>& targets, uint64_t first_seq, uint64_t now_us,
                          size_t waits) {
  std::vector<EventKey> stored(targets.size(), EventKey{0, 0, 0});
  std::vector<char> ok(targets.size(), 0);
  auto link_broke = [&](size_t from) {
    // This push and the rest of the batch may be stored.
    for (size_t j = from; j < targets.size(); ++j)
      uncertain_[first_seq + j] = Uncertain{targets[j], now_us, false};
    producer_.LinkFailed(uv_now(loop_));
  };
  for (size_t i = 0; i < targets.size(); ++i) {
    tools::Reply r = producer_.Redis().Next();
    if (r == nullptr) {
      link_broke(i);
      return;
    }
    stored[i] = EventKey{targets[i], 0, 0};
    ok[i] = !tools::IsError(r.get()) &&
            ParseStreamId(tools::Text(r.get()), &stored[i].ms, &stored[i].seq);
    if (!ok[i]) push_errors_++;  // refused (e.g. LOADING right after a restart): not stored
  }
  bool replicated = true;
  for (size_t w = 0; w < waits; ++w) {
    tools::Reply r = producer_.Redis().Next();
    if (r == nullptr) {
      link_broke(0);
      return;
    }
    replicated =
        replicated && r->type == REDIS_REPLY_INTEGER && r->integer >= config_.wait_replicas;
  }
  for (size_t i = 0; i < targets.size(); ++i) {
    if (!ok[i]) continue;
    if (!replicated) {
      // Acked by the primary alone: a failover now may lose it. Counted if it arrives.
      uncertain_[first_seq + i] = Uncertain{targets[i], now_us, true};
      push_unreplicated_++;
      continue;
    }
    pushed_[stored[i]] = Pushed{now_us, 0};
    sent_++;
    window_sent_++;
  }
}

namespace {

// The `sim_seq` field of an XRANGE entry ([id, [name, value, ...]]), or "".
std::string_view SimSeqOf(const redisReply* entry) {
  const redisReply* fields = entry->element[1];
  if (fields->type != REDIS_REPLY_ARRAY) return {};
  for (size_t f = 0; f + 1 < fields->elements; f += 2) {
    if (tools::Text(fields->element[f]) == "sim_seq") return tools::Text(fields->element[f + 1]);
  }
  return {};
}

}  // namespace

// After a reconnect, before pushing again: the uncertain pushes to a client
// are among the newest entries of its stream, if Redis kept them. False
// when the link broke again (the search is repeated after the next one).
bool Sim::Reconcile() {
  std::map<uint32_t, uint64_t> per_target;
  for (const auto& [seq, u] : uncertain_)
    if (!u.searched) per_target[u.target]++;
  sp::services::Keys keys(config_.common.key_prefix);
  for (const auto& [target, count] : per_target) {
    tools::Reply r = producer_.Redis().Command(
        {"XREVRANGE", keys.Events(ids_[target]), "+", "-", "COUNT", std::to_string(count)});
    if (r == nullptr) {
      producer_.LinkFailed(uv_now(loop_));
      return false;
    }
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; ++i) {
      const redisReply* entry = r->element[i];
      EventKey key{target, 0, 0};
      if (entry->type == REDIS_REPLY_ARRAY && entry->elements == 2 &&
          ParseStreamId(tools::Text(entry->element[0]), &key.ms, &key.seq))
        AdoptUncertain(target, SimSeqOf(entry), key);
    }
  }
  size_t not_stored = 0;
  for (auto& [seq, u] : uncertain_) {
    if (!u.searched) not_stored++;
    u.searched = true;
  }
  if (not_stored != 0)
    std::fprintf(stderr, "redis: %zu pushes sent as the link broke were not stored\n", not_stored);
  return true;
}

// Found in the stream after the reconnect, or delivered (the server read it
// just before the link broke): the push was stored after all.
bool Sim::AdoptUncertain(uint32_t target, std::string_view sim_seq, const EventKey& key) {
  uint64_t seq = 0;
  auto parsed = std::from_chars(sim_seq.data(), sim_seq.data() + sim_seq.size(), seq);
  if (sim_seq.empty() || parsed.ec != std::errc()) return false;
  auto it = uncertain_.find(seq);
  if (it == uncertain_.end() || it->second.target != target) return false;
  pushed_[key] = Pushed{it->second.sent_us, 0};
  sent_++;
  push_recovered_++;
  uncertain_.erase(it);
  return true;
}

}  // namespace sealpost::sim
