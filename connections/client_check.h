// The registry's verdict on a client that finished the handshake: the key it
// proved in message 3 must be the one provisioned for the id it claimed, and
// the client must not be disabled. Pure, so every branch is tested alone.
#pragma once

#include <string_view>

#include "services/registry.h"

namespace sp::connections {

struct ClientVerdict {
  bool accepted = false;
  bool counts_as_handshake_failure = false;
  std::string_view code;     // the error sent when not accepted
  std::string_view message;  // its text
};

// `remote_pk` is the base64 static key from the handshake.
ClientVerdict CheckClient(const services::ClientRecord& record, std::string_view remote_pk);

}  // namespace sp::connections
