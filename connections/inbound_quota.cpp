#include "connections/inbound_quota.h"

#include <algorithm>
#include <limits>

namespace sp::connections {
namespace {

template <class T>
T Pick(int64_t override_value, T fallback) {
  if (override_value < 0) return fallback;
  return static_cast<T>(
      std::min<uint64_t>(static_cast<uint64_t>(override_value), std::numeric_limits<T>::max()));
}

}  // namespace

InboundQuota::InboundQuota(const Bounds& d, const services::QuotaOverrides& o, uint64_t now_ms)
    : events_per_s_(Pick(o.events_per_s, d.inbound_events_per_s)),
      bytes_per_s_(Pick(o.bytes_per_s, d.inbound_bytes_per_s)),
      events_per_day_(Pick(o.events_per_day, d.inbound_events_per_day)),
      bytes_per_day_(Pick(o.bytes_per_day, d.inbound_bytes_per_day)) {
  events_.Fill(events_per_s_, now_ms);
  bytes_.Fill(bytes_per_s_, now_ms);
}

InboundQuota::Verdict InboundQuota::Take(uint64_t bytes, uint64_t now_ms) {
  // An event larger than the whole burst could never pass: it is judged
  // against the burst itself, so a big event is refused, not starved.
  if (bytes_per_s_ != 0 && bytes > 2ull * bytes_per_s_) return Verdict::OverBytes;
  TokenBucket events_before = events_;
  if (!events_.Take(events_per_s_, now_ms)) return Verdict::OverEvents;
  if (!bytes_.Take(bytes_per_s_, now_ms, bytes)) {
    events_ = events_before;  // nothing was stored: give the event token back
    return Verdict::OverBytes;
  }
  return Verdict::Ok;
}

uint64_t EventBytes(const proto::EventFields& fields) {
  uint64_t n = 0;
  for (const auto& [name, value] : fields) n += name.size() + value.size();
  return n;
}

}  // namespace sp::connections
