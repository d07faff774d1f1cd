#include "connections/connection.h"
#include "connections/dispatch.h"

namespace sp::connections {

// The heartbeat timeout runs from the last pong.
HandlerResult Handle(LoopContext& /*ctx*/, Connection& conn, const proto::Pong& /*pong*/) {
  conn.OnPong();
  return HandlerResult::Ok();
}

}  // namespace sp::connections
