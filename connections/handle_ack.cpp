#include "connections/connection.h"
#include "connections/dispatch.h"
#include "shared/protocol.h"

namespace sp::connections {

// An ack names one eventId. Only an event in flight on this very session can
// be acknowledged; anything else is answered with an error and acks nothing.
// Late duplicates (the ack of a resend that was already acknowledged) are
// normal under at-least-once, so the connection stays open.
HandlerResult Handle(LoopContext& /*ctx*/, Connection& conn, const proto::ClientAck& ack) {
  if (conn.GetSession()->delivery.Ack(ack.event_id)) return HandlerResult::Ok();
  // Answering costs the server work: bogus acks count against the rate limit.
  if (!conn.TakeToken()) return RateLimited();
  SendError(conn, proto::error_code::kUnknownEvent, "no such event in flight", false, {},
            ack.event_id);
  return HandlerResult::Ok();
}

}  // namespace sp::connections
