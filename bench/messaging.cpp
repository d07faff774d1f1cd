// Messaging between clients through sealpost (PROTOCOL.md §6), end to end:
// senders call Client::SendEventTo, the server stores one copy per target
// (services/mailbox.cpp) and delivers it; the targets receive and ack. Each
// payload carries its send time, so every receipt gives a send->receive
// latency. Closed loop (the default): each sender keeps its window full, so
// the latency is mostly queueing. --rate: sends at a fixed rate instead
// (the window still caps it), each payload stamped with its scheduled time
// so that a stalled sender cannot hide latency (as `latency` does). The clock runs from the first
// send until every copy is received and its stream entry acked in Redis (XACK+XDEL: the streams are
// empty).
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>

#include "bench/bench.h"
#include "bench/client_set.h"
#include "bench/common.h"

namespace spb {
namespace {

// Empties the events streams and dedupe sets of clients [first, first+count)
// so that every run starts from the same Redis state.
void ResetStreams(const std::string& url, const std::string& prefix, size_t first, size_t count) {
  Redis r = ConnectRedis(url);
  for (size_t i = first; i < first + count; ++i) {
    std::string id = ClientId(prefix, i);
    Append(r.get(), {"DEL", "sp:{" + id + "}:events", "sp:{" + id + "}:seen"});
  }
  for (size_t i = 0; i < count; ++i) NextReply(r.get());
}

}  // namespace

// User + system CPU of this process: the clients' share of the machine.
double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return sec(u.ru_utime) + sec(u.ru_stime);
}

namespace {

// Drives one loop: ramps the clients up, then calls tick every millisecond
// (it paces --rate) until it returns false. The run's state lives in the caller.
class Run {
 public:
  Run(const ClientSetOptions& set) : loop_(uv_default_loop()), set_(new ClientSet(loop_, set)) {}

  ClientSet& Set() { return *set_; }

  bool RampUp(ClientSet::EventHandler on_event, double timeout_s, nlohmann::json* out) {
    bool ok = false;
    uv_timer_t timer;
    uv_timer_init(loop_, &timer);
    set_->Start(std::move(on_event), [&] {
      ok = true;
      uv_stop(loop_);
    });
    uv_timer_start(
        &timer, [](uv_timer_t* t) { uv_stop(t->loop); }, static_cast<uint64_t>(timeout_s * 1000),
        0);
    uv_run(loop_, UV_RUN_DEFAULT);
    uv_timer_stop(&timer);
    (*out)["ramp_handshakes_per_s"] = set_->HandshakesPerSecond();
    if (!ok) {
      (*out)["phase"] = "ramp_timeout";
      (*out)["connected"] = set_->Connected();
      if (!set_->FirstError().empty()) (*out)["first_error"] = set_->FirstError();
    }
    return ok;
  }

  void Loop(std::function<bool()> tick) {
    tick_ = std::move(tick);
    uv_timer_t timer;
    uv_timer_init(loop_, &timer);
    timer.data = this;
    uv_timer_start(
        &timer,
        [](uv_timer_t* t) {
          auto* self = static_cast<Run*>(t->data);
          if (!self->tick_()) uv_stop(t->loop);
        },
        1, 1);
    uv_run(loop_, UV_RUN_DEFAULT);
    uv_timer_stop(&timer);
  }

  // What every run reports about its clients.
  void Report(nlohmann::json* out) const {
    (*out)["disconnects"] = set_->Disconnects();
    (*out)["duplicates"] = set_->Duplicates();
    (*out)["errors"] = set_->Errors();
    (*out)["error_codes"] = set_->ErrorCodes();
    if (!set_->FirstError().empty()) (*out)["first_error"] = set_->FirstError();
    (*out)["process_cpu_s"] = ProcessCpuSeconds();
  }

 private:
  uv_loop_t* loop_;
  ClientSet* set_;  // never freed: the process exits with _Exit, as in flow.cpp
  std::function<bool()> tick_;
};

// The end of a run: stop sending at t_stop, then wait for every copy to be
// received, then for the targets' streams to be empty.
struct Drain {
  int64_t t_start = 0, t_stop = 0, give_up = 0, t_received = 0, t_acked = 0, next_poll = 0;
  long long xlen_left = -1;
  bool sending = false;

  // False once the run is over (drained or timed out).
  bool Tick(uint64_t expected, uint64_t received, redisContext* redis, const std::string& prefix,
            size_t first, size_t count) {
    int64_t now = NowNs();
    if (sending) {
      if (now < t_stop) return true;
      sending = false;
    }
    if (now > give_up) return false;
    if (received < expected) return true;
    if (!t_received) t_received = now;
    if (now < next_poll) return true;
    next_poll = now + 10000000;  // XLEN every 10 ms: the acks reach Redis in batches
    xlen_left = SumXlen(redis, prefix, first, count);
    if (xlen_left != 0) return true;
    t_acked = now;
    return false;
  }

  double Seconds() const { return static_cast<double>(t_acked - t_start) / 1e9; }

  // --rate: how many sends are due by now (the k-th, from 0, at k / rate:
  // the first at once), and when the k-th was due.
  uint64_t Due(double rate) const {
    return static_cast<uint64_t>(static_cast<double>(NowNs() - t_start) * rate / 1e9) + 1;
  }
  int64_t Scheduled(uint64_t k, double rate) const {
    return t_start + static_cast<int64_t>(static_cast<double>(k) * 1e9 / rate);
  }
};

}  // namespace

int RunDm(const MessagingOptions& o) {
  const size_t p = o.pairs;
  ClientSetOptions so = o.set;
  so.clients = 2 * p;
  ResetStreams(so.redis, so.prefix, so.first, so.clients);
  Redis redis = ConnectRedis(so.redis);
  Run run(so);
  std::vector<std::string> targets;
  for (size_t i = 0; i < p; ++i) targets.push_back(ClientId(so.prefix, so.first + p + i));
  std::vector<uint64_t> sent(p, 0), received(p, 0);
  uint64_t total_sent = 0, total_received = 0, send_refused = 0;
  std::vector<int64_t> latencies;
  latencies.reserve(1 << 20);
  Drain drain;
  const bool paced = o.rate > 0;
  auto send = [&](size_t i, int64_t stamp) {
    auto r = run.Set().At(i).SendEventTo(targets[i], "bench", StampedPayload(stamp, o.payload));
    if (!r) {
      ++send_refused;  // the library's queue is full: try again later
      return false;
    }
    ++sent[i];
    ++total_sent;
    return true;
  };
  auto pump = [&](size_t i) {
    while (!paced && drain.sending && sent[i] - received[i] < o.window) {
      if (!send(i, NowNs())) return;
    }
  };
  // --rate: the senders in turn, skipping those whose window is full.
  size_t next = 0;
  auto pace = [&] {
    if (!paced || !drain.sending) return;
    uint64_t due = drain.Due(o.rate);
    for (size_t skipped = 0; total_sent < due && skipped < p; next = (next + 1) % p) {
      if (sent[next] - received[next] >= o.window) {
        ++skipped;
        continue;
      }
      skipped = 0;
      if (!send(next, drain.Scheduled(total_sent, o.rate))) return;
    }
  };
  nlohmann::json out;
  out["bench"] = "dm";
  out["pairs"] = p;
  out["window"] = o.window;
  out["rate"] = o.rate;
  out["payload"] = o.payload;
  bool ramp_ok = run.RampUp(
      [&](size_t index, const sealpost::Event& e) {
        if (index < p) return;  // senders receive nothing
        size_t i = index - p;
        std::string_view data = e.Get("data");
        int64_t stamp = ParseStamp(data.data(), data.size());
        if (stamp >= 0) latencies.push_back(NowNs() - stamp);
        ++received[i];
        ++total_received;
        pump(i);
      },
      so.connect_timeout, &out);
  if (!ramp_ok) {
    Emit(out);
    std::_Exit(1);
  }
  drain.t_start = NowNs();
  drain.t_stop = drain.t_start + static_cast<int64_t>(o.duration * 1e9);
  drain.give_up = drain.t_stop + static_cast<int64_t>(o.drain_timeout * 1e9);
  drain.sending = true;
  for (size_t i = 0; i < p; ++i) pump(i);
  run.Loop([&] {
    pace();
    return drain.Tick(total_sent, total_received, redis.get(), so.prefix, so.first + p, p);
  });
  out["phase"] = drain.t_acked ? "done" : "drain_timeout";
  out["sent"] = total_sent;
  out["delivered"] = total_received;
  out["lost"] = static_cast<long long>(total_sent) - static_cast<long long>(total_received);
  out["send_refused"] = send_refused;
  out["xlen_left"] = drain.xlen_left;
  run.Report(&out);
  if (drain.t_acked) {
    out["seconds"] = drain.Seconds();
    out["throughput_mps"] = static_cast<double>(total_sent) / drain.Seconds();
  }
  out["latency_us"] = LatencySummary(latencies);
  Emit(out);
  std::fflush(stdout);
  std::_Exit(drain.t_acked ? 0 : 1);
}

int RunFanout(const MessagingOptions& o) {
  ClientSetOptions so = o.set;
  so.clients = o.members + 1;  // client 0 sends, 1..members receive
  ResetStreams(so.redis, so.prefix, so.first, so.clients);
  Redis redis = ConnectRedis(so.redis);
  {
    Reply n = Command(redis.get(), {"SCARD", "sp:group:" + o.group});
    if (!n || n->type != REDIS_REPLY_INTEGER || static_cast<size_t>(n->integer) != so.clients) {
      std::fprintf(stderr,
                   "sealpost-bench: group %s must hold exactly the %zu clients %s-%zu.. "
                   "(sealpost group add)\n",
                   o.group.c_str(), so.clients, so.prefix.c_str(), so.first);
      return 2;
    }
  }
  Run run(so);
  const std::string to = "group:" + o.group;
  std::vector<uint32_t> copies;  // per group message: members that received it
  uint64_t messages = 0, completed = 0, total_received = 0, send_refused = 0;
  std::vector<int64_t> latencies;
  latencies.reserve(1 << 22);
  Drain drain;
  const bool paced = o.rate > 0;
  auto send = [&](int64_t stamp) {
    auto r = run.Set().At(0).SendEventTo(to, "bench", StampedPayload(stamp, o.payload),
                                         {{"seq", std::to_string(messages)}});
    if (!r) {
      ++send_refused;
      return false;
    }
    copies.push_back(0);
    ++messages;
    return true;
  };
  auto pump = [&] {
    while (!paced && drain.sending && messages - completed < o.window) {
      if (!send(NowNs())) return;
    }
  };
  auto pace = [&] {
    if (!paced || !drain.sending) return;
    uint64_t due = drain.Due(o.rate);
    while (messages < due && messages - completed < o.window) {
      if (!send(drain.Scheduled(messages, o.rate))) return;
    }
  };
  nlohmann::json out;
  out["bench"] = "fanout";
  out["members"] = o.members;
  out["window"] = o.window;
  out["rate"] = o.rate;
  out["payload"] = o.payload;
  bool ramp_ok = run.RampUp(
      [&](size_t index, const sealpost::Event& e) {
        if (index == 0) return;
        std::string_view data = e.Get("data");
        int64_t stamp = ParseStamp(data.data(), data.size());
        if (stamp >= 0) latencies.push_back(NowNs() - stamp);
        ++total_received;
        size_t seq = std::strtoull(std::string(e.Get("seq")).c_str(), nullptr, 10);
        if (seq < copies.size() && ++copies[seq] == o.members) {
          ++completed;
          pump();
        }
      },
      so.connect_timeout, &out);
  if (!ramp_ok) {
    Emit(out);
    std::_Exit(1);
  }
  drain.t_start = NowNs();
  drain.t_stop = drain.t_start + static_cast<int64_t>(o.duration * 1e9);
  drain.give_up = drain.t_stop + static_cast<int64_t>(o.drain_timeout * 1e9);
  drain.sending = true;
  pump();
  run.Loop([&] {
    pace();
    return drain.Tick(messages * o.members, total_received, redis.get(), so.prefix, so.first + 1,
                      o.members);
  });
  uint64_t expected = messages * o.members;
  out["phase"] = drain.t_acked ? "done" : "drain_timeout";
  out["sent"] = messages;
  out["copies_expected"] = expected;
  out["delivered"] = total_received;
  out["lost"] = static_cast<long long>(expected) - static_cast<long long>(total_received);
  out["send_refused"] = send_refused;
  out["xlen_left"] = drain.xlen_left;
  run.Report(&out);
  if (drain.t_acked) {
    out["seconds"] = drain.Seconds();
    out["group_mps"] = static_cast<double>(messages) / drain.Seconds();
    out["deliveries_per_s"] = static_cast<double>(expected) / drain.Seconds();
  }
  out["latency_us"] = LatencySummary(latencies);
  Emit(out);
  std::fflush(stdout);
  std::_Exit(drain.t_acked ? 0 : 1);
}

}  // namespace spb
