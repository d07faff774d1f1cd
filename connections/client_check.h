// The registry's verdict on a client that finished the handshake: the key it
// proved in message 3 must be the one provisioned for the id it claimed, and
// the client must not be disabled. Pure, so every branch is tested alone.
#pragma once

#include <cstdint>
#include <string_view>

#include "services/registry.h"

namespace sp::connections {

struct ClientVerdict {
  bool accepted = false;
  bool counts_as_handshake_failure = false;
  std::string_view code;     // the error sent when not accepted
  std::string_view message;  // its text
};

// The answer when the registry cannot be read: retry later.
ClientVerdict UnavailableVerdict();

// `remote_pk` is the base64 static key from the handshake.
ClientVerdict CheckClient(const services::ClientRecord& record, std::string_view remote_pk);

// 64 bits that tell one static key from another, kept in a live session so
// that a changed key can be noticed without keeping the key (44 bytes).
uint64_t KeyTag(std::string_view pk_b64);

// The verdict on a live session whose client record changed: still accepted
// while the record exists, is enabled and holds the key the session proved
// (its `key_tag`). A registry that cannot answer keeps the session.
ClientVerdict RecheckClient(const services::ClientRecord& record, uint64_t key_tag);

}  // namespace sp::connections
