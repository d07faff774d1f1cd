// The Redis floors of the messaging benchmarks: the Redis work that sealpost
// does for direct and group messages (services/mailbox.cpp, groups.cpp),
// done by plain Redis clients. A producer thread stores the copies with the
// server's put script (EVALSHA after one SCRIPT LOAD, as the server calls
// it), pipelined; the FloorConsumer reads and acks them as the server's
// delivery would (per round one multi-stream XREADGROUP, then the round's
// acks in one ack script call per 1,024 ids). The clock runs from the first
// put until every copy is acked (XACK+XDEL), as in `dm` and `fanout`.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <unordered_map>

#include "bench/bench.h"
#include "bench/common.h"
#include "bench/floor_consumer.h"
#include "bench/redis_scripts.h"

namespace spb {
namespace {

// One EVALSHA of the put script (`sha`: LoadScript on this connection), with
// the argv the server builds in Mailbox::Put.
void AppendPut(redisContext* c, const std::string& sha, const std::string& target,
               const std::string& message_key, const std::vector<std::string>& fields) {
  std::vector<std::string> argv = {"EVALSHA",
                                   sha,
                                   "3",
                                   "sp:{" + target + "}:client",
                                   "sp:{" + target + "}:events",
                                   "sp:{" + target + "}:seen",
                                   message_key,
                                   kPutWindowMs,
                                   kPutMaxIds,
                                   kPutMaxQueued};
  argv.insert(argv.end(), fields.begin(), fields.end());
  Append(c, argv);
}

struct PutTally {
  uint64_t stored = 0;
  uint64_t refused = 0;  // 0 unknown target, 2 duplicate, 3 full, errors
};

bool Stored(const Reply& r) {
  return r && r->type == REDIS_REPLY_INTEGER && r->integer == 1;
}

void EmitFloor(nlohmann::json j, const FloorConsumer& consumer, int64_t t_start, int64_t t_acked,
               bool drained) {
  double seconds = static_cast<double>(t_acked - t_start) / 1e9;
  j["phase"] = drained ? "done" : "drain_timeout";
  j["seconds"] = seconds;
  j["deliveries"] = consumer.TotalAcked();
  j["deliveries_per_s"] = static_cast<double>(consumer.TotalAcked()) / seconds;
  j["mean_batch"] = consumer.Batches() ? static_cast<double>(consumer.TotalAcked()) /
                                             static_cast<double>(consumer.Batches())
                                       : 0.0;
  j["xreadgroup_calls"] = consumer.ReadCalls();
  j["ack_calls"] = consumer.AckCalls();
  j["notifications"] = consumer.Notifications();
  j["process_cpu_s"] = ProcessCpuSeconds();
  Emit(j);
}

}  // namespace

// Sender i (never connected) puts into the stream of client i + pairs, at most
// `window` copies not yet read per pair.
int RunDmFloor(const MessagingOptions& o) {
  const size_t p = o.pairs;
  std::vector<std::string> targets;
  for (size_t i = 0; i < p; ++i) targets.push_back(ClientId(o.set.prefix, o.set.first + p + i));
  FloorConsumer consumer(o.set.redis, targets, o.batch);
  consumer.Prepare();
  std::atomic<bool> producer_done{false};
  std::atomic<uint64_t> stored{0};
  PutTally tally;
  const int64_t t_start = NowNs();
  const int64_t t_end = t_start + static_cast<int64_t>(o.duration * 1e9);
  std::thread producer([&] {
    Redis r = ConnectRedis(o.set.redis);
    const std::string put = LoadScript(r.get(), PutScript());
    std::vector<std::string> senders;
    for (size_t i = 0; i < p; ++i) senders.push_back(ClientId(o.set.prefix, o.set.first + i));
    std::vector<uint64_t> sent(p, 0);
    uint64_t seq = 0;
    std::vector<size_t> who;
    while (NowNs() < t_end) {
      who.clear();
      for (size_t i = 0; i < p; ++i) {
        for (; sent[i] - consumer.Read(i) < o.window; ++sent[i]) {
          std::string data = StampedPayload(NowNs(), o.payload);
          AppendPut(r.get(), put, targets[i], senders[i] + " f-" + std::to_string(++seq),
                    {"type", "bench", "data", data, "from", senders[i]});
          who.push_back(i);
        }
      }
      for (size_t i : who) {
        if (Stored(NextReply(r.get()))) {
          consumer.AddProduced(i, 1);
          stored++;
          tally.stored++;
        } else {
          --sent[i];  // not stored: it leaves the window
          tally.refused++;
        }
      }
      if (who.empty()) std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    producer_done = true;
  });
  const int64_t give_up = t_end + static_cast<int64_t>(o.drain_timeout * 1e9);
  bool drained = false;
  consumer.Run([&] {
    drained = producer_done && consumer.TotalAcked() >= stored.load();
    return drained || NowNs() > give_up;
  });
  int64_t t_acked = NowNs();
  producer.join();
  nlohmann::json j;
  j["bench"] = "dm-floor";
  j["pairs"] = p;
  j["window"] = o.window;
  j["payload"] = o.payload;
  j["batch"] = o.batch;
  j["sent"] = tally.stored;
  j["refused"] = tally.refused;
  j["throughput_mps"] =
      static_cast<double>(tally.stored) / (static_cast<double>(t_acked - t_start) / 1e9);
  EmitFloor(j, consumer, t_start, t_acked, drained);
  return drained ? 0 : 1;
}

// Per group message: SMEMBERS of the group, then one put per member but the
// sender, pipelined; at most `window` group messages not yet read by every
// member.
int RunFanoutFloor(const MessagingOptions& o) {
  const std::string sender = ClientId(o.set.prefix, o.set.first);
  const std::string group_key = "sp:group:" + o.group;
  const std::string to = "group:" + o.group;
  std::vector<std::string> targets;
  {
    Redis r = ConnectRedis(o.set.redis);
    Reply m = Command(r.get(), {"SMEMBERS", group_key});
    for (size_t i = 0; m && m->type == REDIS_REPLY_ARRAY && i < m->elements; ++i) {
      std::string id(m->element[i]->str, m->element[i]->len);
      if (id != sender) targets.push_back(id);
    }
  }
  if (targets.empty()) {
    std::fprintf(stderr, "sealpost-bench: group %s has no members but the sender\n",
                 o.group.c_str());
    return 2;
  }
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < targets.size(); ++i) index[targets[i]] = i;
  FloorConsumer consumer(o.set.redis, targets, o.batch);
  consumer.Prepare();
  std::atomic<bool> producer_done{false};
  std::atomic<uint64_t> stored{0};
  PutTally tally;
  uint64_t messages = 0;
  const int64_t t_start = NowNs();
  const int64_t t_end = t_start + static_cast<int64_t>(o.duration * 1e9);
  std::thread producer([&] {
    Redis r = ConnectRedis(o.set.redis);
    const std::string put = LoadScript(r.get(), PutScript());
    std::vector<size_t> who;
    while (NowNs() < t_end) {
      uint64_t completed = consumer.Read(0);
      for (size_t i = 1; i < targets.size(); ++i) completed = std::min(completed, consumer.Read(i));
      uint64_t room = o.window - std::min<uint64_t>(o.window, messages - completed);
      if (room == 0) {
        std::this_thread::sleep_for(std::chrono::microseconds(100));
        continue;
      }
      for (uint64_t k = 0; k < room; ++k) Append(r.get(), {"SMEMBERS", group_key});
      who.clear();
      for (uint64_t k = 0; k < room; ++k) {
        Reply m = NextReply(r.get());
        std::string seq = std::to_string(messages + k);
        std::string data = StampedPayload(NowNs(), o.payload);
        for (size_t e = 0; m && m->type == REDIS_REPLY_ARRAY && e < m->elements; ++e) {
          std::string id(m->element[e]->str, m->element[e]->len);
          if (id == sender) continue;
          AppendPut(r.get(), put, id, sender + " f-" + seq,
                    {"type", "bench", "data", data, "seq", seq, "from", sender, "to", to});
          who.push_back(index.at(id));
        }
      }
      messages += room;
      for (size_t i : who) {
        if (Stored(NextReply(r.get()))) {
          consumer.AddProduced(i, 1);
          stored++;
          tally.stored++;
        } else {
          tally.refused++;
        }
      }
    }
    producer_done = true;
  });
  const int64_t give_up = t_end + static_cast<int64_t>(o.drain_timeout * 1e9);
  bool drained = false;
  consumer.Run([&] {
    drained = producer_done && consumer.TotalAcked() >= stored.load();
    return drained || NowNs() > give_up;
  });
  int64_t t_acked = NowNs();
  producer.join();
  double seconds = static_cast<double>(t_acked - t_start) / 1e9;
  nlohmann::json j;
  j["bench"] = "fanout-floor";
  j["members"] = targets.size();
  j["window"] = o.window;
  j["payload"] = o.payload;
  j["batch"] = o.batch;
  j["sent"] = messages;
  j["copies_stored"] = tally.stored;
  j["refused"] = tally.refused;
  j["group_mps"] = static_cast<double>(messages) / seconds;
  EmitFloor(j, consumer, t_start, t_acked, drained);
  return drained ? 0 : 1;
}

}  // namespace spb
