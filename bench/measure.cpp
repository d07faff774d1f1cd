#include "bench/measure.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace spb {

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
  long double sum = 0;
  for (int64_t v : s) sum += v;
  j["p50"] = at(0.50);
  j["p90"] = at(0.90);
  j["p99"] = at(0.99);
  j["p999"] = at(0.999);
  j["max"] = static_cast<double>(s.back()) / 1000.0;
  j["mean"] = static_cast<double>(sum / static_cast<long double>(s.size()) / 1000.0L);
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

std::string StampedPayload(int64_t ns, size_t bytes) {
  char head[32];
  int len = std::snprintf(head, sizeof head, "%020lld:", static_cast<long long>(ns));
  std::string p(std::max(bytes, static_cast<size_t>(len)), 'x');
  std::copy(head, head + len, p.begin());
  for (size_t i = static_cast<size_t>(len); i < p.size(); ++i)
    p[i] = static_cast<char>('a' + i % 26);
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

}  // namespace spb
