#include "connections/connection.h"
#include "connections/dispatch.h"

namespace sp::connections {

// The client measures the round trip: the pong echoes its ping's ts.
HandlerResult Handle(LoopContext& /*ctx*/, Connection& conn, const proto::Ping& ping) {
  proto::Pong pong;
  pong.ts = proto::NowMs();
  pong.echo = ping.ts;
  conn.SendMessage(proto::Serialize(pong));
  return HandlerResult::Ok();
}

}  // namespace sp::connections
