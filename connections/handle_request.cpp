// request: answered by the server itself (echo, time, who) or stored in
// sp:requests:<method> for workers, who reply into the client's stream with
// "re" (docs/PROTOCOL.md §6). Either way the request is acked once stored,
// and its reply travels the ordinary delivery path.
#include <ctime>

#include <nlohmann/json.hpp>

#include "connections/answers.h"
#include "connections/connection.h"
#include "connections/dispatch.h"
#include "connections/loop_context.h"
#include "shared/client_id.h"
#include "shared/protocol.h"

namespace sp::connections {
namespace {

namespace code = proto::error_code;

std::string IsoTime(int64_t ms) {
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[40];
  size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(text + n, sizeof text - n, ".%03dZ", static_cast<int>(ms % 1000));
  return text;
}

// The server's own reply, put into the requester's stream like a worker's.
// Keyed by the request id, so a resent request is answered once.
void Reply(LoopContext& ctx, uint64_t conn_id, const std::string& client, const std::string& id,
           proto::EventFields fields) {
  LoopContext* c = &ctx;
  auto answer = [c, conn_id, id](services::Mailbox::Result result) {
    switch (result) {
      case services::Mailbox::Result::Stored:
      case services::Mailbox::Result::Duplicate:
        AnswerStored(*c, conn_id, id);
        return;
      case services::Mailbox::Result::Full:
        AnswerRefused(*c, conn_id, id, code::kTargetFull,
                      "this client has too many undelivered events, retry later", true);
        return;
      case services::Mailbox::Result::UnknownTarget:  // its record went while we answered
      case services::Mailbox::Result::Failed:
        AnswerRefused(*c, conn_id, id, code::kUnavailable, "event store unavailable, retry later",
                      true);
        return;
    }
  };
  if (!ctx.services.mailbox.Put(client, "re " + id, fields, answer))
    answer(services::Mailbox::Result::Failed);
}

proto::EventFields ReplyHead(const proto::Request& request) {
  return {{"type", "reply"}, {"re", request.id}, {"method", request.method}};
}

void AnswerWho(LoopContext& ctx, Connection& conn, const proto::Request& request) {
  uint64_t conn_id = conn.Id();
  auto params = nlohmann::json::parse(request.params, nullptr, /*allow_exceptions=*/false);
  const std::string* group = nullptr;
  if (params.is_object() && params.contains("group"))
    group = params["group"].get_ptr<const std::string*>();
  if (group == nullptr || !proto::IsValidClientId(*group)) {
    AnswerRefused(ctx, conn_id, request.id, code::kBadMessage,
                  "who needs params {\"group\":\"<name>\"}", false);
    return;
  }
  const RoutingPolicy& policy = conn.GetSession()->Policy(ctx.settings.messaging.defaults);
  if (policy.groups == RoutingPolicy::Groups::None) {
    AnswerRefused(ctx, conn_id, request.id, code::kForbidden, "this client may not see groups",
                  false);
    return;
  }
  bool must_be_member = policy.groups == RoutingPolicy::Groups::Member;
  LoopContext* c = &ctx;
  std::string client = conn.GetSession()->client;
  std::string name = *group;
  proto::EventFields head = ReplyHead(request);
  std::string id = request.id;
  ctx.services.groups.Who(name, [c, conn_id, client, name, head, id, must_be_member](
                                    std::optional<std::vector<services::Groups::Member>> members) {
    if (!members) {
      AnswerRefused(*c, conn_id, id, code::kUnavailable, "event store unavailable, retry later",
                    true);
      return;
    }
    nlohmann::json list = nlohmann::json::array();
    bool member = false;
    for (const auto& m : *members) {
      member = member || m.id == client;
      list.push_back({{"id", m.id}, {"online", m.online}});
    }
    if (members->empty()) {
      AnswerRefused(*c, conn_id, id, code::kUnknownTarget, "group '" + name + "' has no members",
                    false);
      return;
    }
    if (must_be_member && !member) {
      AnswerRefused(*c, conn_id, id, code::kForbidden,
                    "this client is not a member of group '" + name + "'", false);
      return;
    }
    proto::EventFields fields = head;
    fields.emplace_back("group", name);
    fields.emplace_back("data", list.dump());
    Reply(*c, conn_id, client, id, std::move(fields));
  });
}

bool ServedByWorkers(const Messaging& messaging, const std::string& method) {
  if (messaging.request_methods.empty()) return true;
  for (const std::string& m : messaging.request_methods) {
    if (m == method) return true;
  }
  return false;
}

}  // namespace

HandlerResult Handle(LoopContext& ctx, Connection& conn, const proto::Request& request) {
  Session& session = *conn.GetSession();
  uint64_t bytes = request.method.size() + request.params.size();
  if (!TakeInboundQuota(ctx, conn, request.id, bytes)) return HandlerResult::Ok();
  ctx.services.usage.Add(session.client, services::Counter::ClientEvents);
  ctx.stats.requests++;
  uint64_t conn_id = conn.Id();
  int64_t now = proto::NowMs();
  if (request.method == "echo") {
    proto::EventFields fields = ReplyHead(request);
    fields.emplace_back("data", request.params);
    fields.emplace_back("serverTs", std::to_string(now));
    Reply(ctx, conn_id, session.client, request.id, std::move(fields));
  } else if (request.method == "time") {
    proto::EventFields fields = ReplyHead(request);
    fields.emplace_back("data", std::to_string(now));
    fields.emplace_back("iso", IsoTime(now));
    Reply(ctx, conn_id, session.client, request.id, std::move(fields));
  } else if (request.method == "who") {
    AnswerWho(ctx, conn, request);
  } else if (!ServedByWorkers(ctx.settings.messaging, request.method)) {
    SendError(conn, code::kForbidden, "no method '" + request.method + "' on this server", false,
              request.id);
  } else {
    LoopContext* c = &ctx;
    std::string id = request.id;
    InboundQuota& quota = session.Quota(ctx.settings.bounds, ctx.NowMs());
    ctx.services.inbound.AddRequest(
        session.client, request, bytes, {quota.EventsPerDay(), quota.BytesPerDay()},
        [c, conn_id, id](services::Inbound::Result result) {
          switch (result) {
            case services::Inbound::Result::Duplicate:
            case services::Inbound::Result::Stored:
              AnswerStored(*c, conn_id, id);
              return;
            case services::Inbound::Result::OverDailyQuota:
              AnswerRefused(*c, conn_id, id, code::kQuota,
                            "the client's inbound quota for today is used up", false);
              return;
            case services::Inbound::Result::Failed:
              AnswerRefused(*c, conn_id, id, code::kUnavailable,
                            "event store unavailable, retry later", true);
              return;
          }
        });
  }
  return HandlerResult::Ok();
}

}  // namespace sp::connections
