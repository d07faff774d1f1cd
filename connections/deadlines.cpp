// Every time-driven duty of a connection, run from the hub's one timer wheel:
// handshake and idle deadlines, heartbeat pings and pong timeouts, resends.
#include "connections/connection.h"
#include "connections/hub.h"
#include "shared/protocol.h"

namespace sp::connections {

void Connection::Reschedule() {
  if (state_ == ConnState::Closing) return;
  const Limits& l = hub_.GetLimits();
  uint64_t due = last_rx_ms + l.idle_timeout_ms;
  if (state_ != ConnState::Active) {
    due = std::min(due, handshake_started_ms_ + l.handshake_timeout_ms);
  } else {
    due = std::min(due, next_ping_ms);
    due = std::min(due, last_pong_ms + l.heartbeat_timeout_ms);
    for (const Inflight& item : session_->inflight) due = std::min(due, item.due_ms);
  }
  hub_.Wheel().Schedule(&wheel_, due);
}

void Connection::OnWake(uint64_t now) {
  const Limits& l = hub_.GetLimits();
  if (state_ == ConnState::Closing) {
    // A last error could not be flushed in time: close hard.
    if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&tcp_))) {
      uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), &Connection::OnClosed);
    }
    return;
  }
  if (state_ != ConnState::Active && now >= handshake_started_ms_ + l.handshake_timeout_ms) {
    Fail({proto::error_code::kTimeout, "handshake not completed in time"});
    return;
  }
  if (now >= last_rx_ms + l.idle_timeout_ms) {
    Fail({proto::error_code::kTimeout, "idle timeout"});
    return;
  }
  if (state_ == ConnState::Active) {
    if (now >= last_pong_ms + l.heartbeat_timeout_ms) {
      Fail({proto::error_code::kTimeout, "no pong within the heartbeat timeout"});
      return;
    }
    if (now >= next_ping_ms) {
      proto::Ping ping;
      ping.ts = proto::NowMs();
      SendMessage(proto::Serialize(ping));
      next_ping_ms = now + l.heartbeat_interval_ms;
    }
    hub_.OnRetryDue(this, now);
    if (state_ == ConnState::Closing) return;
  }
  Reschedule();
}

}  // namespace sp::connections
