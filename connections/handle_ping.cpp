#include "connections/dispatch.h"
#include "connections/hub.h"

namespace sp::connections {

HandlerResult HandlePing(Hub& /*hub*/, Connection& conn, const proto::Ping& ping) {
  proto::Pong pong;
  pong.ts = proto::NowMs();
  pong.echo = ping.ts;
  conn.SendMessage(proto::Serialize(pong));
  return HandlerResult::Ok();
}

HandlerResult HandlePong(Hub& hub, Connection& conn, const proto::Pong& /*pong*/) {
  conn.last_pong_ms = hub.NowMs();
  return HandlerResult::Ok();
}

}  // namespace sp::connections
