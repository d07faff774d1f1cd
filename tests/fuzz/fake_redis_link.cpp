// services::RedisConnection over the in-memory FakeRedis (fake_redis.h). Compiled
// into the fuzz target itself, so the linker takes these definitions and never
// pulls the real redis_connection.cpp (hiredis sockets) out of libsp_services.a; a
// duplicate symbol at link time would mean something else still needs it.
//
// The store knows exactly the commands services/ sends for one session; any
// other command aborts, so a new command in services/ shows up here at once
// instead of being answered wrongly.
#include <fnmatch.h>
#include <hiredis/hiredis.h>

#include <charconv>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>

#include "services/redis_connection.h"
#include "tests/fuzz/check.h"
#include "tests/fuzz/fake_redis.h"

namespace sp::fuzz {
namespace {

using Argv = services::RedisLink::Argv;
using Fields = std::vector<std::pair<std::string, std::string>>;

// ---- RESP text; hiredis's reader turns it into the redisReply a link hands out.
std::string Bulk(std::string_view s) {
  return std::string("$").append(std::to_string(s.size())).append("\r\n").append(s).append("\r\n");
}
std::string Int(long long n) {
  return std::string(":").append(std::to_string(n)).append("\r\n");
}
std::string Array(size_t n) {
  return std::string("*").append(std::to_string(n)).append("\r\n");
}
const std::string kOk = "+OK\r\n";
const std::string kNil = "$-1\r\n";
const std::string kNilArray = "*-1\r\n";

redisReply* ReadReply(const std::string& resp) {
  redisReader* reader = redisReaderCreate();
  redisReaderFeed(reader, resp.data(), resp.size());
  void* reply = nullptr;
  const int rc = redisReaderGetReply(reader, &reply);
  redisReaderFree(reader);
  FUZZ_CHECK(rc == REDIS_OK && reply != nullptr);
  return static_cast<redisReply*>(reply);
}

// Stream ids as Redis writes them, "ms-seq"; this store only makes "N-0".
std::optional<uint64_t> ParseId(std::string_view id) {
  uint64_t ms = 0, seq = 0;
  const char* end = id.data() + id.size();
  auto [p, ec] = std::from_chars(id.data(), end, ms);
  if (ec != std::errc()) return std::nullopt;
  if (p != end) {
    if (*p != '-') return std::nullopt;
    auto [q, ec2] = std::from_chars(p + 1, end, seq);
    if (ec2 != std::errc() || q != end) return std::nullopt;
  }
  // A valid id this store never made matches nothing.
  return seq == 0 ? ms : UINT64_MAX;
}
std::string IdText(uint64_t n) {
  return std::to_string(n) + "-0";
}

// One stream with at most one consumer group (the server uses one per stream).
struct Stream {
  std::map<uint64_t, Fields> entries;
  bool has_group = false;
  uint64_t last_delivered = 0;
  std::map<uint64_t, uint32_t> pending;  // id -> delivery count
};

struct Subscription {
  const services::RedisConnection* link;
  std::string channel;
  bool pattern;
  std::function<void(std::string_view, std::string_view)> on_message;
  std::function<void()> on_confirmed;
};

struct Store {
  std::unordered_map<std::string, std::unordered_map<std::string, std::string>> hashes;
  std::unordered_map<std::string, Stream> streams;
  uint64_t next_id = 1;
  uint64_t next_epoch = 1;
  std::map<std::string, std::string> epochs;  // sp:{ID}:epoch -> the last session's epoch
  bool in_multi = false;
  std::vector<std::string> multi_results;
  std::vector<Subscription> subscriptions;
  std::deque<std::function<void()>> queue;

  std::string Execute(const Argv& argv);
  std::string Run(const Argv& argv);
  std::string HMGet(const Argv& argv);
  std::string XGroupCreate(const Argv& argv);
  std::string XPending(const Argv& argv);
  std::string XAutoClaim(const Argv& argv);
  // The claim of XAUTOCLAIM from `start`: {next, entries, counts, deleted} as RESP.
  struct Claim {
    std::string next, entries, counts, deleted;
    size_t n_claimed = 0, n_deleted = 0;
  };
  Claim ClaimFrom(Stream& s, uint64_t start, size_t limit);
  std::string SessionStart(const Argv& argv);
  std::string XReadGroup(const Argv& argv);
  std::string XAdd(const Argv& argv, size_t star);
  // The ids are argv[first_id, end_id) (end_id 0: to the end).
  std::string Ack(std::string_view key, const Argv& argv, size_t first_id, bool ack, bool del,
                  size_t end_id = 0);
  std::string Eval(const Argv& argv);
  std::string FencedRead(const Argv& argv);
  size_t Publish(std::string_view channel, std::string_view message);
  std::string Entry(uint64_t id, const Fields& fields) const;
};

Store& TheStore() {
  static Store* store = new Store();  // lives as long as the process's links
  return *store;
}

std::string Store::Execute(const Argv& argv) {
  FUZZ_CHECK(!argv.empty());
  if (argv[0] == "MULTI") {
    in_multi = true;
    multi_results.clear();
    return kOk;
  }
  if (argv[0] == "EXEC") {
    FUZZ_CHECK(in_multi);
    in_multi = false;
    std::string out = Array(multi_results.size());
    for (const auto& r : multi_results) out += r;
    return out;
  }
  std::string result = Run(argv);
  if (!in_multi) return result;
  multi_results.push_back(std::move(result));
  return "+QUEUED\r\n";
}

std::string Store::Run(const Argv& argv) {
  const std::string_view cmd = argv[0];
  const size_t n = argv.size();
  if (cmd == "HMGET" && n >= 3) return HMGet(argv);
  if (cmd == "HSET" && n >= 4 && n % 2 == 0) {
    auto& h = hashes[std::string(argv[1])];
    for (size_t i = 2; i + 1 < n; i += 2) h[std::string(argv[i])] = std::string(argv[i + 1]);
    return Int((n - 2) / 2);
  }
  if (cmd == "HDEL" && n >= 3) {
    auto& h = hashes[std::string(argv[1])];
    long long removed = 0;
    for (size_t i = 2; i < n; ++i) removed += h.erase(std::string(argv[i]));
    return Int(removed);
  }
  if (cmd == "DEL" && n >= 2) {
    long long removed = 0;
    for (size_t i = 1; i < n; ++i)
      removed += hashes.erase(std::string(argv[i])) + streams.erase(std::string(argv[i]));
    return Int(removed);
  }
  // Expiry and the node registry's set do not matter within one input.
  if ((cmd == "PEXPIRE" || cmd == "EXPIRE") && n == 3) return Int(1);
  if ((cmd == "SADD" || cmd == "SREM") && n >= 3) return Int(1);
  if (cmd == "PUBLISH" && n == 3) return Int(static_cast<long long>(Publish(argv[1], argv[2])));
  if (cmd == "CONFIG" && n == 3 && argv[1] == "GET")
    return Array(2) + Bulk(argv[2]) + Bulk("AKE");  // notifications on: no polling
  if (cmd == "CONFIG" && n == 4 && argv[1] == "SET") return kOk;
  if (cmd == "PING") return "+PONG\r\n";
  if (cmd == "XGROUP" && n >= 5 && argv[1] == "CREATE") return XGroupCreate(argv);
  if (cmd == "XPENDING" && (n == 6 || n == 7)) return XPending(argv);
  if (cmd == "XAUTOCLAIM" && n == 8) return XAutoClaim(argv);
  if (cmd == "XREADGROUP" && n >= 9 && (n - 7) % 2 == 0) return XReadGroup(argv);
  if (cmd == "XADD" && n >= 3) {
    size_t star = argv[2] == "MAXLEN" ? 5 : 2;
    FUZZ_CHECK(star < n && argv[star] == "*" && (n - star - 1) % 2 == 0);
    return XAdd(argv, star);
  }
  if (cmd == "XACK" && n >= 4) return Ack(argv[1], argv, 3, true, false);
  if (cmd == "XDEL" && n >= 3) return Ack(argv[1], argv, 2, false, true);
  if (cmd == "XCLAIM" && n >= 7) {
    // XCLAIM key group consumer min-idle id RETRYCOUNT n JUSTID: sets the count.
    Stream& s = streams[std::string(argv[1])];
    auto id = ParseId(argv[5]);
    uint32_t count = 0;
    std::from_chars(argv[7].data(), argv[7].data() + argv[7].size(), count);
    if (!id || !s.pending.count(*id)) return Array(0);
    s.pending[*id] = count;
    return Array(1) + Bulk(IdText(*id));
  }
  if (cmd == "EVAL" && n >= 3) return Eval(argv);
  // No script cache: every call stays an EVAL, whose text tells the scripts apart.
  if (cmd == "SCRIPT" && n == 3 && argv[1] == "LOAD")
    return "-ERR the fake has no script cache\r\n";
  // Groups (messaging): no groups exist in the fuzzed world, so a group
  // message is refused as an unknown target and `who` lists nobody.
  if (cmd == "SMEMBERS" && n == 2) return Array(0);
  if (cmd == "SISMEMBER" && n == 3) return Int(0);
  if (cmd == "EXISTS" && n >= 2) return Int(0);
  if (cmd == "HGET" && n == 3) {
    auto h = hashes.find(std::string(argv[1]));
    if (h == hashes.end() || !h->second.count(std::string(argv[2]))) return kNil;
    return Bulk(h->second[std::string(argv[2])]);
  }
  std::fprintf(stderr,
               "fake redis: unsupported command %.*s (extend tests/fuzz/fake_redis_link.cpp)\n",
               static_cast<int>(cmd.size()), cmd.data());
  std::abort();
}

std::string Store::HMGet(const Argv& argv) {
  auto h = hashes.find(std::string(argv[1]));
  std::string out = Array(argv.size() - 2);
  for (size_t i = 2; i < argv.size(); ++i) {
    if (h == hashes.end()) {
      out += kNil;
      continue;
    }
    auto f = h->second.find(std::string(argv[i]));
    out += f == h->second.end() ? kNil : Bulk(f->second);
  }
  return out;
}

std::string Store::XGroupCreate(const Argv& argv) {
  std::string key(argv[2]);
  bool mkstream = argv.size() >= 6 && argv[5] == "MKSTREAM";
  if (!streams.count(key) && !mkstream)
    return "-ERR The XGROUP subcommand requires the key to exist\r\n";
  Stream& s = streams[key];
  if (s.has_group) return "-BUSYGROUP Consumer Group name already exists\r\n";
  s.has_group = true;
  s.last_delivered = argv[4] == "$" && !s.entries.empty() ? s.entries.rbegin()->first : 0;
  return kOk;
}

std::string Store::Entry(uint64_t id, const Fields& fields) const {
  std::string out = Array(2) + Bulk(IdText(id)) + Array(fields.size() * 2);
  for (const auto& [f, v] : fields) out += Bulk(f) + Bulk(v);
  return out;
}

// XPENDING key group start + count consumer -> [[id, consumer, idle, count]...]
std::string Store::XPending(const Argv& argv) {
  auto it = streams.find(std::string(argv[1]));
  if (it == streams.end() || !it->second.has_group) return "-NOGROUP No such key or group\r\n";
  auto start = ParseId(argv[3]);
  size_t limit = std::stoul(std::string(argv[5]));
  FUZZ_CHECK(start.has_value());
  std::string items;
  size_t count = 0;
  for (auto p = it->second.pending.lower_bound(*start);
       p != it->second.pending.end() && count < limit; ++p, ++count) {
    items += Array(4) + Bulk(IdText(p->first)) + Bulk("sealpost") + Int(0) + Int(p->second);
  }
  return Array(count) + items;
}

Store::Claim Store::ClaimFrom(Stream& s, uint64_t start, size_t limit) {
  Claim c;
  auto p = s.pending.lower_bound(start);
  while (p != s.pending.end() && c.n_claimed + c.n_deleted < limit) {
    auto e = s.entries.find(p->first);
    if (e == s.entries.end()) {  // Redis 7: gone from the stream, dropped from the list
      c.deleted += Bulk(IdText(p->first));
      ++c.n_deleted;
      p = s.pending.erase(p);
      continue;
    }
    c.entries += Entry(e->first, e->second);
    ++c.n_claimed;
    ++p->second;
    c.counts += Int(p->second);
    ++p;
  }
  c.next = p == s.pending.end() ? "0-0" : IdText(p->first);
  return c;
}

// XAUTOCLAIM key group consumer min-idle start COUNT n -> [next, [entries], [deleted]]
std::string Store::XAutoClaim(const Argv& argv) {
  auto it = streams.find(std::string(argv[1]));
  if (it == streams.end() || !it->second.has_group) return "-NOGROUP No such key or group\r\n";
  auto start = ParseId(argv[5]);
  size_t limit = std::stoul(std::string(argv[7]));
  FUZZ_CHECK(start.has_value() && limit > 0);
  Claim c = ClaimFrom(it->second, *start, limit);
  return Array(3) + Bulk(c.next) + Array(c.n_claimed) + c.entries + Array(c.n_deleted) + c.deleted;
}

// The session start script (services/session_start.cpp): KEYS client, epoch,
// presence, groups, events; ARGV pk, node, session, since, channel, client,
// group, consumer, count. The record check and the claim are carried out;
// presence is only answered (no live session replaced, no groups), as the
// presence scripts are.
std::string Store::SessionStart(const Argv& argv) {
  FUZZ_CHECK(argv.size() == 17 && argv[2] == "5");
  std::string record =
      HMGet({"HMGET", argv[3], "pk", "disabled", "quota_events_per_s", "quota_bytes_per_s",
             "quota_events_per_day", "quota_bytes_per_day", "direct", "groups"});
  auto h = hashes.find(std::string(argv[3]));
  auto field = [&](const char* name) -> const std::string* {
    if (h == hashes.end()) return nullptr;
    auto f = h->second.find(name);
    return f == h->second.end() ? nullptr : &f->second;
  };
  const std::string* pk = field("pk");
  const std::string* off = field("disabled");
  bool disabled = off != nullptr && !off->empty() && *off != "0" && *off != "false";
  if (pk == nullptr || *pk != argv[8] || disabled) return Array(1) + record;
  epochs[std::string(argv[4])] = std::to_string(next_epoch);
  std::string head =
      Array(8) + record + Int(static_cast<long long>(next_epoch++)) + Int(0) + Array(0);
  auto it = streams.find(std::string(argv[7]));
  if (it == streams.end() || !it->second.has_group) {
    XGroupCreate({"XGROUP", "CREATE", argv[7], argv[14], "0", "MKSTREAM"});
    return head + Bulk("0-0") + Array(0) + Array(0) + Array(0);
  }
  size_t limit = std::stoul(std::string(argv[16]));
  FUZZ_CHECK(limit > 0);
  Claim c = ClaimFrom(it->second, 0, limit);
  return head + Bulk(c.next) + Array(c.n_claimed) + c.entries + Array(c.n_claimed) + c.counts +
         Array(c.n_deleted) + c.deleted;
}

// XREADGROUP GROUP g consumer COUNT n STREAMS key... >... -> [[key, [entries]]...] or nil
std::string Store::XReadGroup(const Argv& argv) {
  size_t n_streams = (argv.size() - 7) / 2;
  for (size_t k = 0; k < n_streams; ++k) {
    auto it = streams.find(std::string(argv[7 + k]));
    if (it == streams.end() || !it->second.has_group) return "-NOGROUP No such key or group\r\n";
  }
  size_t limit = std::stoul(std::string(argv[5]));
  std::string out;
  size_t served = 0;
  for (size_t k = 0; k < n_streams; ++k) {
    Stream& s = streams[std::string(argv[7 + k])];
    std::string items;
    size_t count = 0;
    for (auto e = s.entries.upper_bound(s.last_delivered); e != s.entries.end() && count < limit;
         ++e, ++count) {
      items += Entry(e->first, e->second);
      s.pending[e->first] = 1;
      s.last_delivered = e->first;
    }
    if (count == 0) continue;
    out += Array(2) + Bulk(argv[7 + k]) + Array(count) + items;
    ++served;
  }
  if (served == 0) return kNilArray;
  return Array(served) + out;
}

std::string Store::XAdd(const Argv& argv, size_t star) {
  Fields fields;
  for (size_t i = star + 1; i + 1 < argv.size(); i += 2)
    fields.emplace_back(std::string(argv[i]), std::string(argv[i + 1]));
  uint64_t id = next_id++;
  streams[std::string(argv[1])].entries.emplace(id, std::move(fields));
  Publish("__keyevent@0__:xadd", argv[1]);  // as with notify-keyspace-events "AKE"
  return Bulk(IdText(id));
}

std::string Store::Ack(std::string_view key, const Argv& argv, size_t first_id, bool ack, bool del,
                       size_t end_id) {
  std::vector<uint64_t> ids;
  if (end_id == 0) end_id = argv.size();
  for (size_t i = first_id; i < end_id; ++i) {
    auto id = ParseId(argv[i]);
    if (!id) return "-ERR Invalid stream ID specified as stream command argument\r\n";
    ids.push_back(*id);
  }
  auto it = streams.find(std::string(key));
  long long n = 0;
  for (uint64_t id : ids) {
    if (it == streams.end()) break;
    if (ack) n += static_cast<long long>(it->second.pending.erase(id));
    if (del) n += static_cast<long long>(it->second.entries.erase(id));
  }
  return Int(n);
}

// Scripts are told apart by what they call: the ack script (XACK + XDEL) and
// the session start script are carried out; the usage, presence and
// daily-quota scripts only answer 1 (count it, fits in the day's allowance).
// The read script (services/stream_reader.cpp): KEYS stream, epoch pairs;
// ARGV group, consumer, count, then one epoch per stream ("" = no fence).
// -> [[key, entries] | [key, "fenced"] | [key, "NOGROUP ..."]...]
std::string Store::FencedRead(const Argv& argv) {
  size_t n_keys = std::stoul(std::string(argv[2]));
  FUZZ_CHECK(n_keys >= 2 && n_keys % 2 == 0 && argv.size() == 3 + n_keys + 3 + n_keys / 2);
  size_t limit = std::stoul(std::string(argv[3 + n_keys + 2]));
  std::string out;
  size_t parts = 0;
  for (size_t k = 0; k < n_keys; k += 2) {
    std::string key(argv[3 + k]);
    std::string_view want = argv[3 + n_keys + 3 + k / 2];
    if (!want.empty()) {
      std::string& have = epochs[std::string(argv[4 + k])];
      if (have.empty()) have = std::string(want);
      if (have != want) {
        out += Array(2) + Bulk(key) + Bulk("fenced");
        ++parts;
        continue;
      }
    }
    auto it = streams.find(key);
    if (it == streams.end() || !it->second.has_group) {
      out += Array(2) + Bulk(key) + Bulk("NOGROUP No such key or group");
      ++parts;
      continue;
    }
    Stream& s = it->second;
    std::string items;
    size_t count = 0;
    for (auto e = s.entries.upper_bound(s.last_delivered); e != s.entries.end() && count < limit;
         ++e, ++count) {
      items += Entry(e->first, e->second);
      s.pending[e->first] = 1;
      s.last_delivered = e->first;
    }
    if (count == 0) continue;
    out += Array(2) + Bulk(key) + Array(count) + items;
    ++parts;
  }
  return Array(parts) + out;
}

std::string Store::Eval(const Argv& argv) {
  const std::string_view script = argv[1];
  // Ack script: numkeys, the streams, the group, then per stream n and n ids.
  if (script.find("'XACK'") != std::string_view::npos) {
    size_t n_keys = std::stoul(std::string(argv[2]));
    size_t a = 3 + n_keys + 1;
    FUZZ_CHECK(n_keys >= 1 && a <= argv.size());
    for (size_t k = 0; k < n_keys; ++k) {
      FUZZ_CHECK(a < argv.size());
      size_t n = std::stoul(std::string(argv[a]));
      FUZZ_CHECK(n >= 1 && a + 1 + n <= argv.size());
      std::string acked = Ack(argv[3 + k], argv, a + 1, true, false, a + 1 + n);
      if (acked[0] == '-') return acked;
      Ack(argv[3 + k], argv, a + 1, false, true, a + 1 + n);
      a += n + 1;
    }
    FUZZ_CHECK(a == argv.size());
    return Int(0);  // no stream refused
  }
  if (script.find("'XAUTOCLAIM'") != std::string_view::npos) return SessionStart(argv);
  if (script.find("'fenced'") != std::string_view::npos) return FencedRead(argv);
  return Int(1);
}

size_t Store::Publish(std::string_view channel, std::string_view message) {
  size_t receivers = 0;
  for (const Subscription& sub : subscriptions) {
    bool match = sub.pattern ? fnmatch(sub.channel.c_str(), std::string(channel).c_str(), 0) == 0
                             : sub.channel == channel;
    if (!match || !sub.link->IsUp()) continue;
    ++receivers;
    queue.push_back(
        [fn = sub.on_message, c = std::string(channel), m = std::string(message)] { fn(c, m); });
  }
  return receivers;
}

}  // namespace

FakeRedis& FakeRedis::Get() {
  static FakeRedis fake;
  return fake;
}

void FakeRedis::Reset() {
  Store& s = TheStore();
  s.hashes.clear();
  s.streams.clear();
  s.next_id = 1;
  FUZZ_CHECK(!s.in_multi);
}

void FakeRedis::HSet(const std::string& key, const std::string& field, const std::string& value) {
  TheStore().hashes[key][field] = value;
}

std::string FakeRedis::XAdd(const std::string& key, const Fields& fields) {
  Store& s = TheStore();
  uint64_t id = s.next_id++;
  s.streams[key].entries.emplace(id, fields);
  return IdText(id);
}

bool FakeRedis::DeliverQueued() {
  std::deque<std::function<void()>> now;
  now.swap(TheStore().queue);
  for (auto& fn : now) fn();
  return !now.empty();
}

size_t FakeRedis::Queued() const {
  return TheStore().queue.size();
}

}  // namespace sp::fuzz

// ---- services::RedisConnection, as the rest of the server sees it -------------------

namespace sp::services {
namespace {

// A subscription made while the link is up is confirmed on the next delivery.
void ConfirmLatestIfUp(const RedisConnection* link) {
  auto& store = fuzz::TheStore();
  if (!link->IsUp() || !store.subscriptions.back().on_confirmed) return;
  store.queue.push_back(store.subscriptions.back().on_confirmed);
}

}  // namespace

RedisConnection::RedisConnection(uv_loop_t* loop, RedisEndpoint endpoint, std::string name)
    : loop_(loop), endpoint_(std::move(endpoint)), name_(std::move(name)) {}

RedisConnection::~RedisConnection() = default;

// Comes up on the next delivery, as a real link does once connected.
void RedisConnection::Start() {
  started_ = true;
  stopping_ = false;
  fuzz::TheStore().queue.push_back([this] {
    up_ = true;
    ever_up_ = true;
    for (const auto& sub : fuzz::TheStore().subscriptions)
      if (sub.link == this && sub.on_confirmed) sub.on_confirmed();
    if (on_up_) on_up_();
  });
}

void RedisConnection::Stop(std::function<void()> done) {
  stopping_ = true;
  up_ = false;
  if (done) fuzz::TheStore().queue.push_back(std::move(done));
}

bool RedisConnection::Command(const Argv& argv, Callback cb) {
  if (!up_) return false;
  ++commands_sent_;
  std::string resp = fuzz::TheStore().Execute(argv);
  if (cb) {
    fuzz::TheStore().queue.push_back([cb = std::move(cb), resp = std::move(resp)] {
      redisReply* reply = fuzz::ReadReply(resp);
      cb(reply);
      freeReplyObject(reply);
    });
  }
  return true;
}

void RedisConnection::Subscribe(std::string channel,
                                std::function<void(std::string_view)> on_message,
                                std::function<void()> on_confirmed) {
  auto fn = [on_message = std::move(on_message)](std::string_view, std::string_view m) {
    on_message(m);
  };
  fuzz::TheStore().subscriptions.push_back(
      {this, std::move(channel), false, std::move(fn), std::move(on_confirmed)});
  ConfirmLatestIfUp(this);
}

void RedisConnection::PSubscribe(
    std::string pattern,
    std::function<void(std::string_view channel, std::string_view message)> on_message,
    std::function<void()> on_confirmed) {
  fuzz::TheStore().subscriptions.push_back(
      {this, std::move(pattern), true, std::move(on_message), std::move(on_confirmed)});
  ConfirmLatestIfUp(this);
}

// One fake server: nothing to point elsewhere.
void RedisConnection::Retarget(const RedisAddress&) {}

RedisLinkStats RedisConnection::Stats() const {
  return {};
}

}  // namespace sp::services
