#include "bench/peers/peer_common.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace peer {

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

nlohmann::json LatencySummary(std::vector<int64_t>& s) {
  nlohmann::json j;
  j["samples"] = s.size();
  if (s.empty()) return j;
  std::sort(s.begin(), s.end());
  auto at = [&s](double q) {
    size_t i = static_cast<size_t>(q * static_cast<double>(s.size() - 1) + 0.5);
    return static_cast<double>(s[std::min(i, s.size() - 1)]) / 1000.0;
  };
  j["p50"] = at(0.50);
  j["p90"] = at(0.90);
  j["p99"] = at(0.99);
  j["p999"] = at(0.999);
  j["max"] = static_cast<double>(s.back()) / 1000.0;
  // Points of the distribution for a CDF plot: [latency_us, fraction].
  nlohmann::json cdf = nlohmann::json::array();
  for (double q : {0.001, 0.01, 0.05, 0.1,  0.2,  0.3,   0.4,   0.5,    0.6,    0.7, 0.8,
                   0.9,   0.95, 0.97, 0.98, 0.99, 0.995, 0.999, 0.9995, 0.9999, 1.0})
    cdf.push_back({at(q), q});
  j["cdf"] = cdf;
  return j;
}

void Emit(const nlohmann::json& j) {
  std::string line = j.dump();
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

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

std::string StampedPayload(int64_t ns, size_t bytes) {
  char head[32];
  int len = std::snprintf(head, sizeof head, "%020lld:", static_cast<long long>(ns));
  std::string p(head, static_cast<size_t>(len));
  while (p.size() < bytes) p.push_back(static_cast<char>('a' + p.size() % 26));
  return p;
}

int64_t ParseStamp(const char* data, size_t len) {
  if (len < 21 || data[20] != ':') return -1;
  int64_t v = 0;
  for (int i = 0; i < 20; ++i) {
    if (data[i] < '0' || data[i] > '9') return -1;
    v = v * 10 + (data[i] - '0');
  }
  return v;
}

}  // namespace peer
