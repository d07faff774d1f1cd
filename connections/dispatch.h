// The one switch over client message types. Handlers return a result; only
// Dispatch turns a failed result into an error message and a close.
#pragma once

#include <string_view>

#include "connections/connection.h"
#include "shared/messages.h"

namespace sp::connections {

class Hub;

struct HandlerResult {
  bool ok = true;
  std::string_view code;  // when !ok
  std::string message;
  static HandlerResult Ok() { return {}; }
  static HandlerResult Fatal(std::string_view code, std::string message) {
    return {false, code, std::move(message)};
  }
};

void Dispatch(Hub& hub, Connection& conn, std::string_view json);
// Takes one message token from the connection's rate limit; false when empty.
[[nodiscard]] bool TakeToken(Hub& hub, Connection& conn);

HandlerResult HandleAck(Hub& hub, Connection& conn, const proto::ClientAck& ack);
HandlerResult HandleClientEvent(Hub& hub, Connection& conn, const proto::ClientEvent& event);
HandlerResult HandlePing(Hub& hub, Connection& conn, const proto::Ping& ping);
HandlerResult HandlePong(Hub& hub, Connection& conn, const proto::Pong& pong);

// Non-fatal error answer (the connection stays open).
void SendError(Connection& conn, std::string_view code, std::string message, bool retry,
               std::string id = {}, std::string event_id = {});

}  // namespace sp::connections
