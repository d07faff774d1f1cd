// Usage counters per client (sp:{ID}:usage) and per node, added up in memory
// and flushed in one script call per client per interval, never per event.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "services/keys.h"
#include "services/lua_script.h"
#include "services/redis_link.h"

namespace sp::services {

enum class Counter : uint8_t {
  Delivered,
  Acked,
  Retried,
  Dead,
  ClientEvents,
  BytesIn,
  BytesOut,
  Connects,
  kCount
};
const char* CounterName(Counter c);

class Usage {
 public:
  using Counts = std::array<uint64_t, static_cast<size_t>(Counter::kCount)>;

  Usage(RedisLink& link, const Keys& keys, std::string node)
      : link_(link), keys_(keys), node_(std::move(node)), script_(ScriptText()) {}

  void Add(const std::string& client, Counter counter, uint64_t n = 1);
  // Sends everything accumulated; on a lost link the counts are kept for next time.
  void Flush();
  // Totals since this process started (for /metrics).
  const Counts& NodeTotals() const { return totals_; }
  // The flush script (KEYS: usage hashes; ARGV per hash: last_seen or "",
  // the number of pairs, then counter/amount pairs), also for tools that
  // replay the server's Redis work (bench/).
  static std::string_view ScriptText();

 private:
  struct Dirty {
    Counts counts{};
    int64_t last_seen = 0;
  };
  // One script call's keys and arguments (RedisLink::Argv holds views).
  struct CallArgs {
    std::vector<std::string> keys;
    std::vector<std::string> values;
  };
  static void AppendArgs(const std::string& key, int64_t last_seen, const Counts& counts,
                         CallArgs* call);
  bool Run(const CallArgs& call, RedisLink::Callback cb);
  void Send(std::shared_ptr<std::vector<std::pair<std::string, Dirty>>> dirty);
  void SendNode(const Counts& counts);
  void MergeBack(const std::string& client, const Dirty& dirty);

  RedisLink& link_;
  const Keys& keys_;
  std::string node_;
  std::unordered_map<std::string, Dirty> dirty_;
  Counts node_dirty_{};
  Counts totals_{};
  LuaScript script_;
};

}  // namespace sp::services
