// Counters of one node's connection layer, read by the metrics endpoint.
#pragma once

#include <cstdint>

namespace sp::connections {

struct Stats {
  uint64_t accepted = 0;
  uint64_t rejected = 0;  // over max connections or connect rate
  uint64_t handshake_failures = 0;
  uint64_t sessions_started = 0;
  uint64_t events_sent = 0;
  uint64_t events_resent = 0;
  uint64_t events_acked = 0;
  uint64_t events_dead = 0;
  uint64_t client_events = 0;
  uint64_t client_events_duplicate = 0;  // resent ids acked without storing again
  uint64_t direct_messages = 0;          // client-events to a client, stored
  uint64_t group_messages = 0;           // client-events to a group, stored
  uint64_t group_copies = 0;             // entries written for group messages
  uint64_t group_copies_refused = 0;     // members without a record or with a full stream
  uint64_t messages_refused = 0;         // unknown_target, forbidden, group_too_large, target_full
  uint64_t requests = 0;
  uint64_t protocol_errors = 0;
};

}  // namespace sp::connections
