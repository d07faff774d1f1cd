#include "connections/dispatch.h"
#include "connections/hub.h"
#include "shared/protocol.h"

namespace sp::connections {

// An ack names one eventId. Only an event in flight on this very session can
// be acknowledged; anything else is answered with an error and acks nothing.
// Late duplicates (the ack of a resend that was already acknowledged) are
// normal under at-least-once, so the connection stays open.
HandlerResult HandleAck(Hub& hub, Connection& conn, const proto::ClientAck& ack) {
  Session* session = conn.GetSession();
  for (const Inflight& item : session->inflight) {
    if (item.entry.id == ack.event_id) {
      hub.OnAck(&conn, ack.event_id);
      return HandlerResult::Ok();
    }
  }
  // Answering costs the server work: bogus acks count against the rate limit.
  if (!TakeToken(hub, conn)) {
    return HandlerResult::Fatal(proto::error_code::kRateLimited,
                                "more than the allowed messages per second");
  }
  SendError(conn, proto::error_code::kUnknownEvent, "no such event in flight", false, {},
            ack.event_id);
  return HandlerResult::Ok();
}

}  // namespace sp::connections
