#include "connections/dispatch.h"

#include "connections/hub.h"
#include "shared/protocol.h"

namespace sp::connections {

// Token bucket per connection: client_rate_per_s with a burst of twice that.
bool TakeToken(Hub& hub, Connection& conn) {
  uint64_t rate = hub.GetLimits().client_rate_per_s;
  if (rate == 0) return true;
  uint64_t now = hub.NowMs();
  uint64_t cap = 2 * rate * 1000;
  conn.tokens_milli = std::min(cap, conn.tokens_milli + (now - conn.tokens_at_ms) * rate);
  conn.tokens_at_ms = now;
  if (conn.tokens_milli < 1000) return false;
  conn.tokens_milli -= 1000;
  return true;
}

void Dispatch(Hub& hub, Connection& conn, std::string_view json) {
  if (conn.State() != ConnState::Active) return;
  proto::ParseLimits limits;
  limits.max_event_fields = hub.GetLimits().max_event_fields;
  auto parsed = proto::ParseClientMessage(json, limits);
  if (auto* error = std::get_if<proto::ParseError>(&parsed)) {
    conn.Fail({proto::error_code::kBadMessage, error->ToString()});
    return;
  }
  // Acks and pongs answer what the server sent (bounded by the window and the
  // heartbeat), so only what the client initiates counts against its rate.
  bool initiated =
      std::holds_alternative<proto::ClientEvent>(std::get<proto::ClientMessage>(parsed)) ||
      std::holds_alternative<proto::Ping>(std::get<proto::ClientMessage>(parsed));
  if (initiated && !TakeToken(hub, conn)) {
    conn.Fail({proto::error_code::kRateLimited, "more than the allowed messages per second"});
    return;
  }
  const auto& message = std::get<proto::ClientMessage>(parsed);
  HandlerResult result;
  switch (message.index()) {
    case 0:
      result = HandleAck(hub, conn, std::get<proto::ClientAck>(message));
      break;
    case 1:
      result = HandleClientEvent(hub, conn, std::get<proto::ClientEvent>(message));
      break;
    case 2:
      result = HandlePing(hub, conn, std::get<proto::Ping>(message));
      break;
    case 3:
      result = HandlePong(hub, conn, std::get<proto::Pong>(message));
      break;
  }
  if (!result.ok) conn.Fail({result.code, std::move(result.message)});
}

void SendError(Connection& conn, std::string_view code, std::string message, bool retry,
               std::string id, std::string event_id) {
  proto::Error err;
  err.code = std::string(code);
  err.message = std::move(message);
  err.retry = retry;
  err.id = std::move(id);
  err.event_id = std::move(event_id);
  err.ts = proto::NowMs();
  conn.SendMessage(proto::Serialize(err));
}

}  // namespace sp::connections
