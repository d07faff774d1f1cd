// Helpers shared by the peer generators (no sealpost code in them).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace peer {

int64_t NowNs();  // CLOCK_MONOTONIC
// Latency summary in microseconds of samples in nanoseconds; sorts them.
nlohmann::json LatencySummary(std::vector<int64_t>& samples_ns);
void Emit(const nlohmann::json& j);
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
// 20-digit timestamp, ':', then filler up to `bytes`.
std::string StampedPayload(int64_t ns, size_t bytes);
int64_t ParseStamp(const char* data, size_t len);  // -1 when absent

}  // namespace peer
