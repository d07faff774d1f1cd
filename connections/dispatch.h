// The one place that turns a client message into a handler call, and the
// only place that turns a handler's failure into an error and a close
// (docs/PROTOCOL.md §4). One handler per message type, one file each.
#pragma once

#include <string>
#include <string_view>

#include "shared/messages.h"

namespace sp::connections {

struct LoopContext;
class Connection;

struct HandlerResult {
  bool ok = true;
  std::string_view code;  // when !ok
  std::string message;
  static HandlerResult Ok() { return {}; }
  static HandlerResult Fatal(std::string_view code, std::string message) {
    return {false, code, std::move(message)};
  }
};

// Parses one decrypted message of an active connection and runs its handler.
void Dispatch(LoopContext& ctx, Connection& conn, std::string_view json);

// One overload per alternative of proto::ClientMessage: a type added there
// without a handler here does not compile.
HandlerResult Handle(LoopContext& ctx, Connection& conn, const proto::ClientAck& ack);
HandlerResult Handle(LoopContext& ctx, Connection& conn, const proto::ClientEvent& event);
HandlerResult Handle(LoopContext& ctx, Connection& conn, const proto::Request& request);
HandlerResult Handle(LoopContext& ctx, Connection& conn, const proto::Ping& ping);
HandlerResult Handle(LoopContext& ctx, Connection& conn, const proto::Pong& pong);

// A non-fatal error answer (the connection stays open).
void SendError(Connection& conn, std::string_view code, std::string message, bool retry,
               std::string id = {}, std::string event_id = {});

// The error that closes a client over its message rate.
HandlerResult RateLimited();

}  // namespace sp::connections
