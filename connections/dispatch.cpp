#include "connections/dispatch.h"

#include "connections/connection.h"
#include "connections/loop_context.h"
#include "shared/protocol.h"

namespace sp::connections {

void Dispatch(LoopContext& ctx, Connection& conn, std::string_view json) {
  if (conn.State() != ConnState::Active) return;
  proto::ParseLimits limits;
  limits.max_event_fields = ctx.settings.bounds.max_event_fields;
  limits.max_id_bytes = ctx.settings.bounds.max_id_bytes;
  limits.max_value_bytes = ctx.settings.bounds.max_event_value_bytes;
  auto parsed = proto::ParseClientMessage(json, limits);
  if (auto* error = std::get_if<proto::ParseError>(&parsed)) {
    conn.Fail({proto::error_code::kBadMessage, error->ToString()});
    return;
  }
  HandlerResult result = std::visit(
      [&](const auto& message) {
        if (std::decay_t<decltype(message)>::kCountsTowardRate && !conn.TakeToken())
          return RateLimited();
        return Handle(ctx, conn, message);
      },
      std::get<proto::ClientMessage>(parsed));
  if (!result.ok) conn.Fail({result.code, std::move(result.message)});
}

void SendError(Connection& conn, std::string_view code, std::string message, bool retry,
               std::string id, std::string event_id) {
  proto::Error err = proto::MakeError(code, std::move(message), retry);
  err.id = std::move(id);
  err.event_id = std::move(event_id);
  conn.SendMessage(proto::Serialize(err));
}

HandlerResult RateLimited() {
  return HandlerResult::Fatal(proto::error_code::kRateLimited,
                              "more than the allowed messages per second");
}

}  // namespace sp::connections
