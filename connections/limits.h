// Every per-connection limit and timing, with its default. The server fills
// it from configuration (docs/OPERATIONS.md lists each option).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "shared/protocol.h"

namespace sp::connections {

struct Limits {
  size_t max_frame_bytes = proto::kDefaultMaxFrameBytes;
  uint64_t handshake_timeout_ms = 5000;
  uint64_t idle_timeout_ms = 60000;        // no frame at all for this long: close
  uint64_t heartbeat_interval_ms = 5000;   // server ping
  uint64_t heartbeat_timeout_ms = 10000;   // no pong for this long: close
  uint64_t ack_timeout_ms = 5000;          // first resend after this
  uint64_t backoff_cap_ms = 60000;         // resend gaps grow up to this
  uint32_t max_attempts = 5;               // then dead-letter
  uint32_t inflight_window = 64;           // unacked events per client
  size_t max_connections = 100000;         // per process
  size_t max_handshakes = 256;             // handshakes in progress; more wait in the backlog
  size_t max_write_queue_bytes = 4 << 20;  // slow reader beyond this: close
  uint32_t client_rate_per_s = 1000;       // client messages per second (burst 2x)
  uint32_t connect_rate_per_ip = 1000;     // new connections per second per IP (burst 2x)
  size_t max_event_fields = 32;
  uint64_t poll_interval_ms = 1000;     // only when keyspace notifications are refused
  uint64_t drain_timeout_ms = 5000;     // on SIGTERM: wait this long for acks
  uint64_t goaway_reconnect_ms = 2000;  // clients reconnect within [0.5, 1.5] of this
  uint64_t usage_flush_ms = 1000;
  uint64_t node_beat_ms = 5000;
  std::string node;
  std::string listen;  // for the node registry only
};

}  // namespace sp::connections
