// What the peer generators share (no sealpost code in here): flag parsing,
// the flow scenario's options, producer and report, the idle scenario's
// options and hold, and the command dispatch of main().
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/measure.h"

namespace peer {

using spb::Emit;
using spb::LatencySummary;
using spb::NowNs;
using spb::ParseStamp;
using spb::StampedPayload;

// Minimal flag parsing: --name value pairs and bare --flags.
class Args {
 public:
  Args(int argc, char** argv);
  std::string Get(const std::string& name, const std::string& fallback) const;
  double Num(const std::string& name, double fallback) const;
  bool Has(const std::string& name) const;
  const std::string& Command() const { return command_; }

 private:
  std::string command_;
  std::vector<std::pair<std::string, std::string>> kv_;
};

// The generator's name in messages (set by Main).
const char* Program();

// "<program>: <what>: <strerror(errno)>" on stderr, then exit(1).
[[noreturn]] void Die(const std::string& what);

// A blocking TCP connection to host:port; Die on failure.
int Dial(const std::string& host, int port, bool nodelay);

// write() until all of s is out; Die on failure.
void WriteAll(int fd, const std::string& s);

// ---- flow: one publisher, `receivers` subscribers or consumers ------------------------

// --<receivers_flag> N --duration S [--rate R] [--cap C] [--payload B] [--drain-timeout S]
struct FlowOptions {
  std::string receivers_flag;  // "subscribers", "consumers": also the key in the report
  size_t receivers = 100;
  double duration = 10;
  double rate = 0;  // events/s in total; 0: as fast as `cap` per receiver allows
  size_t cap = 40;  // events per receiver between publish and receipt (rate 0)
  size_t payload_bytes = 256;
  double drain_timeout = 60;
  bool Latency() const { return rate > 0; }
  // An empty vector with room for the run's latency samples (none without a rate).
  std::vector<int64_t> LatencyBuffer() const;
};
FlowOptions ParseFlow(const Args& args, const std::string& receivers_flag);

// Decides what to publish to which receiver, round robin: at the offered rate
// (stamped with the scheduled send time) or, without one, up to `cap` per
// receiver (stamped now).
class Producer {
 public:
  Producer(const FlowOptions& opts, int64_t t_start);

  // Publishes what is due at `now`, at most kBurst events: publish(receiver,
  // payload); got(receiver) is what that receiver has received. Returns how
  // many it published.
  template <class Got, class Publish>
  size_t Produce(int64_t now, Got&& got, Publish&& publish);

  uint64_t Sent() const { return total_sent_; }
  // At a fixed rate: when the next event is scheduled (wait until then, not longer).
  int64_t NextDueNs() const {
    return t_start_ + static_cast<int64_t>(static_cast<double>(total_sent_) * 1e9 / opts_.rate);
  }
  // At a fixed rate: how late each event was published after its scheduled time.
  const std::vector<int64_t>& Lateness() const { return lateness_; }
  int64_t Start() const { return t_start_; }
  int64_t Stop() const { return t_stop_; }  // end of the publishing phase

 private:
  static constexpr size_t kBurst = 4096;
  size_t NextReceiver();
  template <class Publish>
  void Send(size_t receiver, int64_t stamp, Publish& publish);

  FlowOptions opts_;
  int64_t t_start_;
  int64_t t_stop_;
  std::vector<uint64_t> sent_;
  uint64_t total_sent_ = 0;
  size_t next_ = 0;
  std::vector<int64_t> lateness_;
};

// Emits the flow's result line: `j` (the peer's own fields) plus the common
// ones, named "<bench>-latency" or "<bench>-throughput". t_delivered is when
// every event was received, 0 when the drain timed out. Returns the exit code.
int ReportFlow(nlohmann::json j, const std::string& bench, const FlowOptions& opts,
               const Producer& producer, uint64_t delivered, int64_t t_delivered,
               std::vector<int64_t>& latencies_ns);

// ---- idle: N connections held open ---------------------------------------------------

// --host H --port P --clients N --hold S
struct IdleOptions {
  std::string host;
  int port;
  size_t clients;
  double hold;
};
IdleOptions ParseIdle(const Args& args, int default_port);

// The idle result: `j` (the peer's own fields) plus clients, connected and
// ramp_seconds since t0.
nlohmann::json IdleReport(nlohmann::json j, const IdleOptions& opts, size_t connected, int64_t t0);

// Emits j with phase "connected", holds the connections for opts.hold seconds,
// emits phase "done" and exits without tearing the connections down.
[[noreturn]] void HoldIdle(nlohmann::json j, const IdleOptions& opts);

// ---- main ----------------------------------------------------------------------------

// Runs the `flow` or `idle` command of argv; usage on stderr otherwise.
int Main(int argc, char** argv, const char* program, int (*flow)(const Args&),
         int (*idle)(const Args&));

// ---- Producer's templates ------------------------------------------------------------

template <class Got, class Publish>
size_t Producer::Produce(int64_t now, Got&& got, Publish&& publish) {
  size_t appended = 0;
  if (opts_.Latency()) {
    // Event k is scheduled at t_start + k / rate: due once that time has come.
    uint64_t due =
        static_cast<uint64_t>(static_cast<double>(now - t_start_) * opts_.rate / 1e9) + 1;
    while (total_sent_ < due && appended < kBurst) {
      int64_t scheduled =
          t_start_ + static_cast<int64_t>(static_cast<double>(total_sent_) * 1e9 / opts_.rate);
      Send(NextReceiver(), scheduled, publish);
      lateness_.push_back(now - scheduled);
      ++appended;
    }
    return appended;
  }
  for (size_t k = 0; k < opts_.receivers && appended < kBurst; ++k) {
    size_t i = NextReceiver();
    uint64_t received = got(i);
    while (sent_[i] - received < opts_.cap && appended < kBurst) {
      Send(i, now, publish);
      ++appended;
    }
  }
  return appended;
}

template <class Publish>
void Producer::Send(size_t receiver, int64_t stamp, Publish& publish) {
  publish(receiver, StampedPayload(stamp, opts_.payload_bytes));
  ++sent_[receiver];
  ++total_sent_;
}

}  // namespace peer
