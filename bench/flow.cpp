// Event flow through sealpost: a producer thread XADDs (pipelined) to the
// clients' streams; the clients on the main loop receive, ack, and the server
// XACKs+XDELs. Throughput mode keeps a bounded backlog per client; latency
// mode XADDs at a fixed rate and stamps each event with its scheduled time
// (so a stalled producer cannot hide latency).
#include <sys/prctl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "bench/bench.h"
#include "bench/client_set.h"
#include "bench/common.h"

namespace spb {
namespace {

std::string EventsKey(const std::string& prefix, size_t i) {
  return "sp:{" + ClientId(prefix, i) + "}:events";
}

}  // namespace

int RunFlow(const FlowOptions& o) {
  uv_loop_t* loop = uv_default_loop();
  const size_t n = o.set.clients;
  const bool fixed_rate = o.rate > 0;
  std::vector<std::atomic<uint64_t>> received(n);
  std::atomic<uint64_t> total_received{0};
  std::atomic<uint64_t> sent_total{0};
  std::atomic<bool> producer_done{false};
  std::vector<int64_t> latencies;
  // Fixed rate: how late each XADD left after its scheduled time (the
  // producer's own wake-ups; already part of the latencies).
  std::vector<int64_t> lateness;
  if (fixed_rate) {
    latencies.reserve(static_cast<size_t>(o.rate * o.duration * 1.1) + 1024);
    lateness.reserve(static_cast<size_t>(o.rate * o.duration * 1.1) + 1024);
  }
  int64_t t_start = 0, t_produced = 0, t_delivered = 0, t_acked = 0;
  long long xlen_left = -1;

  auto* set = new ClientSet(loop, o.set);
  bool ramp_ok = false;
  uv_timer_t ramp_timer;
  uv_timer_init(loop, &ramp_timer);
  ramp_timer.data = loop;
  set->Start(
      [&](size_t index, const sealpost::Event& e) {
        int64_t now = NowNs();
        std::string_view data = e.Get("data");
        int64_t stamp = fixed_rate ? ParseStamp(data.data(), data.size()) : -1;
        if (stamp >= 0) latencies.push_back(now - stamp);
        received[index].fetch_add(1, std::memory_order_relaxed);
        total_received.fetch_add(1, std::memory_order_relaxed);
      },
      [&] {
        ramp_ok = true;
        uv_timer_stop(&ramp_timer);
        uv_stop(loop);
      });
  uv_timer_start(
      &ramp_timer, [](uv_timer_t* t) { uv_stop(t->loop); },
      static_cast<uint64_t>(o.set.connect_timeout * 1000), 0);
  uv_run(loop, UV_RUN_DEFAULT);
  nlohmann::json out;
  out["bench"] = fixed_rate ? "latency" : "throughput";
  out["clients"] = n;
  out["payload"] = o.payload;
  out["ramp_handshakes_per_s"] = set->HandshakesPerSecond();
  if (!ramp_ok) {
    out["phase"] = "ramp_timeout";
    out["connected"] = set->Connected();
    if (!set->FirstError().empty()) out["first_error"] = set->FirstError();
    Emit(out);
    std::_Exit(1);
  }

  std::thread producer([&] {
    // The default 50 us of timer slack would send fixed-rate events late.
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    ToolRedis r = ConnectToolRedis(o.set.redis);  // a redis+cluster:// URL too
    std::vector<std::string> keys;
    for (size_t i = 0; i < n; ++i) keys.push_back(EventsKey(o.set.prefix, o.set.first + i));
    std::vector<uint64_t> sent(n, 0);
    // On a cluster the connection learns which node holds each stream from the
    // MOVED replies: one XLEN per stream learns them before the clock starts
    // (otherwise the first round's XADDs would go to one node and be redirected
    // one by one while timed). One round trip on a single Redis.
    SumXlen(r.get(), o.set.prefix, o.set.first, n);
    t_start = NowNs();
    int64_t t_stop = t_start + static_cast<int64_t>(o.duration * 1e9);
    uint64_t total = 0;
    size_t next_client = 0;
    while (true) {
      int64_t now = NowNs();
      if (now >= t_stop) break;
      size_t appended = 0;
      if (fixed_rate) {
        // Event k is scheduled at t_start + k / rate: due once that time has come.
        uint64_t due = static_cast<uint64_t>(static_cast<double>(now - t_start) * o.rate / 1e9) + 1;
        for (; total < due && appended < 8192; ++total, ++appended) {
          int64_t scheduled =
              t_start + static_cast<int64_t>(static_cast<double>(total) * 1e9 / o.rate);
          size_t i = next_client;
          next_client = (next_client + 1) % n;
          r->Append({"XADD", keys[i], "*", "type", "bench", "data",
                     StampedPayload(scheduled, o.payload)});
          lateness.push_back(now - scheduled);
          ++sent[i];
        }
      } else {
        for (size_t k = 0; k < n && appended < 8192; ++k) {
          size_t i = next_client;
          next_client = (next_client + 1) % n;
          uint64_t got = received[i].load(std::memory_order_relaxed);
          for (; sent[i] - got < o.backlog && appended < 8192; ++appended) {
            r->Append({"XADD", keys[i], "*", "type", "bench", "data", StampedPayload(now, o.payload)});
            ++sent[i];
            ++total;
          }
        }
      }
      sent_total.store(total, std::memory_order_relaxed);
      for (size_t k = 0; k < appended; ++k) {
        sealpost::tools::Reply rep = NextReply(r.get());
        if (rep->type == REDIS_REPLY_ERROR) {
          std::fprintf(stderr, "sealpost-bench: XADD: %s\n", rep->str);
          std::exit(1);
        }
      }
      if (fixed_rate) {
        // Until the next event's scheduled time, no longer (the timer slack
        // is set to 1 ns for this thread, so the sleep ends on time).
        int64_t next_due =
            t_start + static_cast<int64_t>(static_cast<double>(total) * 1e9 / o.rate);
        std::this_thread::sleep_for(
            std::chrono::nanoseconds(std::clamp<int64_t>(next_due - NowNs(), 0, 200000)));
      } else if (appended == 0) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    }
    t_produced = NowNs();
    // Everything sent is received...
    int64_t drain_until = t_produced + static_cast<int64_t>(o.drain_timeout * 1e9);
    while (total_received.load() < total && NowNs() < drain_until)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (total_received.load() >= total) t_delivered = NowNs();
    // ...and acknowledged in Redis (the ack script XDELs every acked entry).
    while (NowNs() < drain_until) {
      xlen_left = SumXlen(r.get(), o.set.prefix, o.set.first, n);
      if (xlen_left == 0) {
        t_acked = NowNs();
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    producer_done = true;
  });
  uv_timer_t poll;
  uv_timer_init(loop, &poll);
  poll.data = &producer_done;
  uv_timer_start(
      &poll,
      [](uv_timer_t* t) {
        if (static_cast<std::atomic<bool>*>(t->data)->load()) uv_stop(t->loop);
      },
      5, 5);
  uv_run(loop, UV_RUN_DEFAULT);
  producer.join();

  uint64_t sent = sent_total.load(), got = total_received.load();
  uint64_t dups = set->Duplicates();
  double produce_s = static_cast<double>(t_produced - t_start) / 1e9;
  out["phase"] = t_acked ? "done" : "drain_timeout";
  out["sent"] = sent;
  out["delivered"] = got;
  out["duplicates"] = dups;
  out["lost"] = static_cast<long long>(sent) - static_cast<long long>(got);
  out["xlen_left"] = xlen_left;
  out["produce_seconds"] = produce_s;
  out["disconnects"] = set->Disconnects();
  if (fixed_rate) {
    out["rate"] = o.rate;
    out["achieved_eps"] = static_cast<double>(got) / produce_s;
    out["latency_us"] = LatencySummary(latencies);
    nlohmann::json late = LatencySummary(lateness);
    late.erase("cdf");
    out["send_lateness_us"] = late;
  } else {
    out["backlog"] = o.backlog;
    // End to end: from the first XADD until every event is received and its
    // entry acknowledged (XACK+XDEL) in Redis.
    if (t_acked)
      out["throughput_eps"] =
          static_cast<double>(sent) / (static_cast<double>(t_acked - t_start) / 1e9);
    if (t_delivered)
      out["delivered_eps"] =
          static_cast<double>(sent) / (static_cast<double>(t_delivered - t_start) / 1e9);
  }
  Emit(out);
  std::fflush(stdout);
  std::_Exit(t_acked ? 0 : 1);
}

}  // namespace spb
