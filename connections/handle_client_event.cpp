#include "connections/connection.h"
#include "connections/dispatch.h"
#include "connections/loop_context.h"
#include "shared/protocol.h"

namespace sp::connections {

// A client-event goes to sp:inbound; the client gets its ack only once Redis
// has accepted it, and a retryable error when Redis could not.
HandlerResult Handle(LoopContext& ctx, Connection& conn, const proto::ClientEvent& event) {
  const std::string& client = conn.GetSession()->client;
  ctx.services.usage.Add(client, services::Counter::ClientEvents);
  ctx.stats.client_events++;
  LoopContext* c = &ctx;
  uint64_t conn_id = conn.Id();
  std::string id = event.id;
  ctx.services.inbound.Add(client, event, [c, conn_id, id](bool ok, std::string_view) {
    Connection* target = c->table.Find(conn_id);
    if (target == nullptr || !target->IsActive()) return;  // the client resends on reconnect
    if (!ok) {
      SendError(*target, proto::error_code::kUnavailable, "event store unavailable, retry later",
                true, id);
      return;
    }
    proto::ServerAck ack;
    ack.id = id;
    ack.ts = proto::NowMs();
    target->SendMessage(proto::Serialize(ack));
  });
  return HandlerResult::Ok();
}

}  // namespace sp::connections
