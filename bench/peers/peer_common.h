// Helpers shared by the peer generators (no sealpost code in them).
#pragma once

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

}  // namespace peer
