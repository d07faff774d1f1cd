#include "connections/liveness.h"

#include <algorithm>

namespace sp::connections {

Liveness::Verdict Liveness::Check(uint64_t now, const Timings& t) const {
  if (!session_ && now >= since_ms_ + t.handshake_ms) return Verdict::HandshakeTimeout;
  if (now >= last_rx_ms_ + t.idle_ms) return Verdict::IdleTimeout;
  if (!session_) return Verdict::Fine;
  if (now >= since_ms_ + t.heartbeat_timeout_ms) return Verdict::PongTimeout;
  if (now >= next_ping_ms_) return Verdict::PingDue;
  return Verdict::Fine;
}

std::string_view Liveness::Describe(Verdict verdict) {
  switch (verdict) {
    case Verdict::HandshakeTimeout:
      return "handshake not completed in time";
    case Verdict::IdleTimeout:
      return "idle timeout";
    case Verdict::PongTimeout:
      return "no pong within the heartbeat timeout";
    case Verdict::PingDue:
    case Verdict::Fine:
      break;
  }
  return "";
}

uint64_t Liveness::NextDueMs(const Timings& t) const {
  uint64_t due = last_rx_ms_ + t.idle_ms;
  if (!session_) return std::min(due, since_ms_ + t.handshake_ms);
  due = std::min(due, next_ping_ms_);
  return std::min(due, since_ms_ + t.heartbeat_timeout_ms);
}

}  // namespace sp::connections
