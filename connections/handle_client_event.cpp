#include "connections/answers.h"
#include "connections/connection.h"
#include "connections/dispatch.h"
#include "connections/loop_context.h"
#include "connections/routing.h"
#include "shared/protocol.h"

namespace sp::connections {
namespace {

// The answer once Redis has spoken: stored or stored before (ack: a client
// that resends after a lost ack cannot tell), over the day's quota (not
// stored, final), or not accepted (retry later).
void Answer(LoopContext& ctx, uint64_t conn_id, const std::string& id,
            services::Inbound::Result result) {
  switch (result) {
    case services::Inbound::Result::Duplicate:  // stored before: the same answer again
      ctx.stats.client_events_duplicate++;
      [[fallthrough]];
    case services::Inbound::Result::Stored:
      AnswerStored(ctx, conn_id, id);
      return;
    case services::Inbound::Result::OverDailyQuota:
      AnswerRefused(ctx, conn_id, id, proto::error_code::kQuota,
                    "the client's inbound quota for today is used up", false);
      return;
    case services::Inbound::Result::Failed:
      AnswerRefused(ctx, conn_id, id, proto::error_code::kUnavailable,
                    "event store unavailable, retry later", true);
      return;
  }
}

}  // namespace

// A client-event goes to sp:inbound (or, with "to", to a client or group)
// when it fits the client's quota; the client gets its ack only once Redis
// has accepted it. Over the per-second
// quota it is refused at once (retry later); nothing is written for it.
HandlerResult Handle(LoopContext& ctx, Connection& conn, const proto::ClientEvent& event) {
  Session& session = *conn.GetSession();
  uint64_t bytes = EventBytes(event.event);
  if (!TakeInboundQuota(ctx, conn, event.id, bytes)) return HandlerResult::Ok();
  InboundQuota& quota = session.Quota(ctx.settings.bounds, ctx.NowMs());
  ctx.services.usage.Add(session.client, services::Counter::ClientEvents);
  ctx.stats.client_events++;
  if (!event.to.empty()) {
    RouteClientEvent(ctx, conn, event);
    return HandlerResult::Ok();
  }
  LoopContext* c = &ctx;
  uint64_t conn_id = conn.Id();
  std::string id = event.id;
  ctx.services.inbound.Add(
      session.client, event, bytes, {quota.EventsPerDay(), quota.BytesPerDay()},
      [c, conn_id, id](services::Inbound::Result result) { Answer(*c, conn_id, id, result); });
  return HandlerResult::Ok();
}

}  // namespace sp::connections
