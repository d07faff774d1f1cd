// Every setting of the connection layer, grouped by what it is: bounds
// (how much), timings (how long), identity (who this node is) and messaging
// (whom clients may send to). The server
// fills them from configuration; docs/OPERATIONS.md and .env.example list
// each one with its flag and default.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include <vector>

#include "connections/routing_policy.h"
#include "shared/protocol.h"

namespace sp::connections {

// Sizes, counts and rates: what one connection, client or address may use.
struct Bounds {
  size_t max_frame_bytes = proto::kDefaultMaxFrameBytes;
  size_t max_connections = 100000;            // per process
  size_t max_handshakes = 256;                // in progress; more wait, unread, in arrival order
  size_t max_write_queue_bytes = 4 << 20;     // slow reader beyond this: close
  size_t max_handshake_payload_bytes = 1024;  // message 3's payload ({"client":ID})
  size_t max_event_fields = 32;               // fields in one client-event
  size_t max_id_bytes = 128;                  // a client-event's "id"
  size_t max_event_value_bytes = 32768;       // one value in a client-event
  uint32_t inflight_window = 64;              // unacked events per client
  uint32_t max_attempts = 5;                  // deliveries, then dead-letter
  uint32_t client_rate_per_s = 1000;          // client messages per second (burst 2x)
  // Inbound quota per client (sp:{ID}:client may override each; 0: none).
  uint32_t inbound_events_per_s = 1000;    // client-events per second (burst 2x)
  uint32_t inbound_bytes_per_s = 1 << 20;  // their field bytes per second (burst 2x)
  uint64_t inbound_events_per_day = 0;     // per UTC day, counted in Redis
  uint64_t inbound_bytes_per_day = 0;
  uint32_t connect_rate_per_ip = 1000;     // new connections per second per IP or /64 (burst 2x)
  uint32_t max_connections_per_ip = 1024;  // open at once per IP or /64 (0: no cap)
  uint32_t max_waiting_handshakes_per_ip = 128;  // message 1 waiting for a slot, per IP or /64
};

// Deadlines, intervals and back-off, all in milliseconds.
struct Timings {
  uint64_t handshake_ms = 5000;           // the handshake must finish within this
  uint64_t idle_ms = 60000;               // no frame at all for this long: close
  uint64_t heartbeat_interval_ms = 5000;  // server ping
  uint64_t heartbeat_timeout_ms = 10000;  // no pong for this long: close
  uint64_t ack_timeout_ms = 5000;         // first resend after this
  uint64_t backoff_cap_ms = 60000;        // resend gaps grow up to this
  uint64_t close_grace_ms = 2000;         // a last error may take this long to flush
  uint64_t poll_interval_ms = 1000;       // only when keyspace notifications are refused
  uint64_t drain_ms = 5000;               // on SIGTERM: wait this long for acks
  uint64_t goaway_reconnect_ms = 2000;    // clients reconnect within [0.5, 1.5] of this
  uint64_t usage_flush_ms = 1000;         // usage counters go to Redis this often
  uint64_t ack_flush_ms = 1;              // acks gather this long, then leave in one call
  uint64_t node_beat_ms = 5000;           // node registry refresh
};

// Who this node is, as other nodes and clients see it.
struct Identity {
  std::string node;    // in welcome, presence and the node registry
  std::string listen;  // the client address, for the node registry
};

// Routing between clients (docs/PROTOCOL.md §6).
struct Messaging {
  RoutingPolicy defaults;  // for clients whose record sets no policy
  // Request methods that go to workers (sp:requests:<method>); empty: any.
  // The server's own (echo, time, who) are always answered.
  std::vector<std::string> request_methods;
};

struct Settings {
  Bounds bounds;
  Timings timings;
  Identity identity;
  Messaging messaging;
};

// Before a peer is authenticated its frames are handshake messages of a few
// hundred bytes: buffering up to max_frame_bytes for each of thousands of
// unauthenticated sockets would let anyone hold gigabytes. Message 3 is the
// largest: base64 of its payload plus keys and tags, in a small JSON object.
inline size_t HandshakeFrameBytes(const Bounds& b) {
  return std::min(b.max_frame_bytes, 2 * b.max_handshake_payload_bytes + 1024);
}

}  // namespace sp::connections
