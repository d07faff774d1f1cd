// One node's /metrics from its workers' expositions: samples with the same
// name and labels are added up, whatever their type. For a gauge the sum is
// the node's value (connections, sessions, inflight, redis_up = workers with
// Redis up); for a counter it is the node's total. A restarted worker starts
// its counters at 0 again, which would make the node's sum go down (read by
// Prometheus as a reset, turning every rate into a spike), so the last
// counter values seen from a worker's previous run are carried over.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sp::server {

struct MetricSample {
  std::string series;  // name{labels}, exactly as exposed
  double value = 0;
};

struct MetricFamily {
  std::string name;
  std::string help;
  std::string type;  // counter, gauge, untyped, ...
  std::vector<MetricSample> samples;
};

using Exposition = std::vector<MetricFamily>;  // in order of first appearance

// Reads Prometheus text format (HELP, TYPE, samples; timestamps dropped).
// Lines it cannot read are skipped.
Exposition ParseMetrics(std::string_view text);
std::string RenderMetrics(const Exposition& families);
// Adds every sample of `part` into `total` (new families and series appended).
void AddMetrics(Exposition* total, const Exposition& part);
// Only the counter families of `all`.
Exposition CountersOf(const Exposition& all);

// Counter values a worker slot had in its earlier runs.
class CounterCarry {
 public:
  // A scrape of the slot's worker with process id `pid`: when the pid is new,
  // the previous run's last counters join the carried total.
  void Seen(int pid, const Exposition& scraped);
  const Exposition& Carried() const { return carried_; }
  // The counters of the current run as last seen.
  const Exposition& Last() const { return last_; }

 private:
  int pid_ = 0;
  Exposition last_;
  Exposition carried_;
};

}  // namespace sp::server
