#include "connections/connection.h"
#include "connections/dispatch.h"
#include "connections/loop_context.h"
#include "shared/protocol.h"

namespace sp::connections {
namespace {

// The answer once Redis has spoken: stored or stored before (ack: a client
// that resends after a lost ack cannot tell), over the day's quota (not
// stored, final), or not accepted (retry later).
void Answer(LoopContext& ctx, uint64_t conn_id, const std::string& id,
            services::Inbound::Result result) {
  Connection* conn = ctx.table.Find(conn_id);
  if (conn == nullptr || !conn->IsActive()) return;  // the client resends on reconnect
  switch (result) {
    case services::Inbound::Result::Duplicate:  // stored before: the same answer again
      ctx.stats.client_events_duplicate++;
      [[fallthrough]];
    case services::Inbound::Result::Stored: {
      proto::ServerAck ack;
      ack.id = id;
      ack.ts = proto::NowMs();
      conn->SendMessage(proto::Serialize(ack));
      return;
    }
    case services::Inbound::Result::OverDailyQuota:
      SendError(*conn, proto::error_code::kQuota, "the client's inbound quota for today is used up",
                false, id);
      return;
    case services::Inbound::Result::Failed:
      SendError(*conn, proto::error_code::kUnavailable, "event store unavailable, retry later",
                true, id);
      return;
  }
}

}  // namespace

// A client-event goes to sp:inbound when it fits the client's quota; the
// client gets its ack only once Redis has accepted it. Over the per-second
// quota it is refused at once (retry later); nothing is written for it.
HandlerResult Handle(LoopContext& ctx, Connection& conn, const proto::ClientEvent& event) {
  Session& session = *conn.GetSession();
  uint64_t bytes = EventBytes(event.event);
  InboundQuota& quota = session.Quota(ctx.settings.bounds, ctx.NowMs());
  switch (quota.Take(bytes, ctx.NowMs())) {
    case InboundQuota::Verdict::OverEvents:
      SendError(conn, proto::error_code::kQuota, "over the client's client-events per second", true,
                event.id);
      return HandlerResult::Ok();
    case InboundQuota::Verdict::OverBytes:
      SendError(conn, proto::error_code::kQuota, "over the client's inbound bytes per second", true,
                event.id);
      return HandlerResult::Ok();
    case InboundQuota::Verdict::Ok:
      break;
  }
  ctx.services.usage.Add(session.client, services::Counter::ClientEvents);
  ctx.stats.client_events++;
  LoopContext* c = &ctx;
  uint64_t conn_id = conn.Id();
  std::string id = event.id;
  ctx.services.inbound.Add(
      session.client, event, bytes, {quota.EventsPerDay(), quota.BytesPerDay()},
      [c, conn_id, id](services::Inbound::Result result) { Answer(*c, conn_id, id, result); });
  return HandlerResult::Ok();
}

}  // namespace sp::connections
