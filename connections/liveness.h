// The clock-driven deadlines of one connection: the handshake must finish in
// time, some frame must arrive within the idle timeout, and once a session
// runs, the server pings every heartbeat interval and expects a pong within
// the heartbeat timeout. Pure: loop time in, verdicts out.
#pragma once

#include <cstdint>
#include <string_view>

#include "connections/settings.h"

namespace sp::connections {

class Liveness {
 public:
  enum class Verdict : uint8_t {
    Fine,
    HandshakeTimeout,
    IdleTimeout,
    PongTimeout,
    PingDue,  // send a ping, then call PingSent
  };

  explicit Liveness(uint64_t now_ms) : since_ms_(now_ms), last_rx_ms_(now_ms) {}

  // The handshake deadline counts from here: time spent waiting for a slot does not.
  void HandshakeStarted(uint64_t now_ms) { since_ms_ = now_ms; }
  void Received(uint64_t now_ms) { last_rx_ms_ = now_ms; }
  void SessionStarted(uint64_t now_ms, const Timings& t) {
    session_ = true;
    since_ms_ = now_ms;
    next_ping_ms_ = now_ms + t.heartbeat_interval_ms;
  }
  void PongReceived(uint64_t now_ms) { since_ms_ = now_ms; }
  void PingSent(uint64_t now_ms, const Timings& t) {
    next_ping_ms_ = now_ms + t.heartbeat_interval_ms;
  }

  // The first deadline that has passed at `now_ms`, most severe first.
  Verdict Check(uint64_t now_ms, const Timings& t) const;
  // Why a connection closes for `verdict` (any but Fine and PingDue).
  static std::string_view Describe(Verdict verdict);
  // When Check should run next.
  uint64_t NextDueMs(const Timings& t) const;

 private:
  // Before the session: when the handshake (or the wait for a slot) started.
  // Once it runs: the last pong. One field, as the two never overlap.
  uint64_t since_ms_;
  uint64_t last_rx_ms_;
  uint64_t next_ping_ms_ = 0;
  bool session_ = false;
};

}  // namespace sp::connections
