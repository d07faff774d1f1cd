#include "bench/peers/peer_common.h"

#include <cstdio>
#include <cstdlib>

namespace peer {

Args::Args(int argc, char** argv) {
  int i = 1;
  if (i < argc && argv[i][0] != '-') command_ = argv[i++];
  for (; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0) continue;
    if (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0)
      kv_.emplace_back(a.substr(2), argv[++i]);
    else
      kv_.emplace_back(a.substr(2), "");
  }
}

std::string Args::Get(const std::string& name, const std::string& fallback) const {
  for (const auto& [k, v] : kv_)
    if (k == name) return v;
  return fallback;
}

double Args::Num(const std::string& name, double fallback) const {
  std::string v = Get(name, "");
  return v.empty() ? fallback : std::atof(v.c_str());
}

bool Args::Has(const std::string& name) const {
  for (const auto& [k, v] : kv_)
    if (k == name) return true;
  return false;
}

}  // namespace peer
