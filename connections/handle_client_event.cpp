#include "connections/dispatch.h"
#include "connections/hub.h"
#include "shared/protocol.h"

namespace sp::connections {

// A client-event goes to sp:inbound; the client gets its ack only once Redis
// has accepted it, and a retryable error when Redis could not.
HandlerResult HandleClientEvent(Hub& hub, Connection& conn, const proto::ClientEvent& event) {
  Session* session = conn.GetSession();
  uint64_t conn_id = conn.Id();
  std::string id = event.id;
  Hub* h = &hub;
  hub.Services().usage.Add(session->client, services::Counter::ClientEvents);
  hub.Stats().client_events++;
  hub.Services().inbound.Add(session->client, event, [h, conn_id, id](bool ok, std::string_view) {
    Connection* c = h->Find(conn_id);
    if (c == nullptr || c->State() != ConnState::Active) return;  // client retries on reconnect
    if (!ok) {
      SendError(*c, proto::error_code::kUnavailable, "event store unavailable, retry later", true,
                id);
      return;
    }
    proto::ServerAck ack;
    ack.id = id;
    ack.ts = proto::NowMs();
    c->SendMessage(proto::Serialize(ack));
  });
  return HandlerResult::Ok();
}

}  // namespace sp::connections
