#include "server/metrics_merge.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace sp::server {
namespace {

std::string_view NextToken(std::string_view* rest) {
  size_t start = rest->find_first_not_of(' ');
  if (start == std::string_view::npos) return *rest = {}, std::string_view{};
  rest->remove_prefix(start);
  size_t end = rest->find(' ');
  std::string_view token = rest->substr(0, end);
  rest->remove_prefix(end == std::string_view::npos ? rest->size() : end);
  return token;
}

MetricFamily* FindFamily(Exposition* all, std::string_view name) {
  for (MetricFamily& f : *all)
    if (f.name == name) return &f;
  return nullptr;
}

MetricFamily* FamilyFor(Exposition* all, std::string_view name) {
  if (MetricFamily* f = FindFamily(all, name)) return f;
  all->push_back({std::string(name), {}, {}, {}});
  return &all->back();
}

// The series' name, without labels.
std::string_view SeriesName(std::string_view series) {
  return series.substr(0, series.find('{'));
}

std::string FormatValue(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15)
    return std::to_string(static_cast<long long>(v));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

Exposition ParseMetrics(std::string_view text) {
  Exposition out;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.empty()) continue;
    if (line[0] == '#') {
      std::string_view rest = line.substr(1);
      std::string_view kind = NextToken(&rest);
      std::string_view name = NextToken(&rest);
      if (name.empty() || (kind != "HELP" && kind != "TYPE")) continue;
      if (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
      MetricFamily* f = FamilyFor(&out, name);
      (kind == "HELP" ? f->help : f->type) = std::string(rest);
      continue;
    }
    // name{labels} value [timestamp]; label values may hold spaces, so the
    // series ends at the closing brace when there is one.
    size_t brace = line.find('{');
    size_t series_end = brace == std::string_view::npos ? line.find(' ') : line.find('}', brace);
    if (series_end == std::string_view::npos) continue;
    if (brace != std::string_view::npos) ++series_end;
    std::string_view series = line.substr(0, series_end);
    std::string_view rest = line.substr(series_end);
    std::string value_text(NextToken(&rest));
    char* end = nullptr;
    double value = std::strtod(value_text.c_str(), &end);
    if (value_text.empty() || *end != '\0') continue;
    MetricFamily* f = FamilyFor(&out, SeriesName(series));
    f->samples.push_back({std::string(series), value});
  }
  return out;
}

std::string RenderMetrics(const Exposition& families) {
  std::string out;
  for (const MetricFamily& f : families) {
    if (!f.help.empty()) out.append("# HELP ").append(f.name).append(" ").append(f.help) += '\n';
    if (!f.type.empty()) out.append("# TYPE ").append(f.name).append(" ").append(f.type) += '\n';
    for (const MetricSample& s : f.samples)
      out.append(s.series).append(" ").append(FormatValue(s.value)) += '\n';
  }
  return out;
}

void AddMetrics(Exposition* total, const Exposition& part) {
  for (const MetricFamily& pf : part) {
    MetricFamily* tf = FindFamily(total, pf.name);
    if (tf == nullptr) {
      total->push_back(pf);
      continue;
    }
    if (tf->help.empty()) tf->help = pf.help;
    if (tf->type.empty()) tf->type = pf.type;
    for (const MetricSample& ps : pf.samples) {
      bool added = false;
      for (MetricSample& ts : tf->samples) {
        if (ts.series == ps.series) {
          ts.value += ps.value;
          added = true;
          break;
        }
      }
      if (!added) tf->samples.push_back(ps);
    }
  }
}

Exposition CountersOf(const Exposition& all) {
  Exposition out;
  for (const MetricFamily& f : all)
    if (f.type == "counter") out.push_back(f);
  return out;
}

void CounterCarry::Seen(int pid, const Exposition& scraped) {
  if (pid != pid_) {
    AddMetrics(&carried_, last_);
    pid_ = pid;
  }
  last_ = CountersOf(scraped);
}

}  // namespace sp::server
