#include "connections/answers.h"

#include "connections/connection.h"
#include "connections/dispatch.h"
#include "connections/loop_context.h"
#include "shared/protocol.h"

namespace sp::connections {

bool TakeInboundQuota(LoopContext& ctx, Connection& conn, const std::string& id, uint64_t bytes) {
  InboundQuota& quota = conn.GetSession()->Quota(ctx.settings.bounds, ctx.NowMs());
  switch (quota.Take(bytes, ctx.NowMs())) {
    case InboundQuota::Verdict::OverEvents:
      SendError(conn, proto::error_code::kQuota, "over the client's client-events per second", true,
                id);
      return false;
    case InboundQuota::Verdict::OverBytes:
      SendError(conn, proto::error_code::kQuota, "over the client's inbound bytes per second", true,
                id);
      return false;
    case InboundQuota::Verdict::Ok:
      break;
  }
  return true;
}

void AnswerStored(LoopContext& ctx, uint64_t conn_id, const std::string& id) {
  Connection* conn = ctx.table.Find(conn_id);
  if (conn == nullptr || !conn->IsActive()) return;
  proto::ServerAck ack;
  ack.id = id;
  ack.ts = proto::NowMs();
  conn->SendMessage(proto::Serialize(ack));
}

void AnswerRefused(LoopContext& ctx, uint64_t conn_id, const std::string& id, std::string_view code,
                   std::string message, bool retry) {
  Connection* conn = ctx.table.Find(conn_id);
  if (conn == nullptr || !conn->IsActive()) return;
  SendError(*conn, code, std::move(message), retry, id);
}

}  // namespace sp::connections
