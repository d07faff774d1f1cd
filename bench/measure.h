// Measurement helpers shared by sealpost-bench and the peer generators
// (bench/peers/), so every tool stamps, summarises and reports latencies the
// same way. No sealpost code in here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace spb {

// CLOCK_MONOTONIC in nanoseconds: comparable across processes on one machine.
int64_t NowNs();

// Latency summary in microseconds of samples in nanoseconds (sorts them):
// samples, p50, p90, p99, p999, max, mean and CDF points [latency_us, fraction].
nlohmann::json LatencySummary(std::vector<int64_t>& samples_ns);

// One JSON line on stdout, flushed.
void Emit(const nlohmann::json& j);

// An event payload: the 20-digit send time in ns, ':', then filler up to
// `bytes` (at least the 21-byte stamp).
std::string StampedPayload(int64_t ns, size_t bytes);
// The stamp of a StampedPayload; -1 when there is none.
int64_t ParseStamp(const char* data, size_t len);

}  // namespace spb
