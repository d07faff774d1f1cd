#include "connections/routing.h"

#include "connections/answers.h"
#include "connections/connection.h"
#include "connections/loop_context.h"
#include "shared/protocol.h"

namespace sp::connections {
namespace {

namespace code = proto::error_code;

void Refuse(LoopContext& ctx, uint64_t conn_id, const std::string& id, std::string_view error,
            std::string message, bool retry = false) {
  if (!retry) ctx.stats.messages_refused++;
  AnswerRefused(ctx, conn_id, id, error, std::move(message), retry);
}

void AnswerPut(LoopContext& ctx, uint64_t conn_id, const std::string& id, const std::string& target,
               services::Mailbox::Result result) {
  switch (result) {
    case services::Mailbox::Result::Stored:
      ctx.stats.direct_messages++;
      AnswerStored(ctx, conn_id, id);
      return;
    case services::Mailbox::Result::Duplicate:
      ctx.stats.client_events_duplicate++;
      AnswerStored(ctx, conn_id, id);
      return;
    case services::Mailbox::Result::UnknownTarget:
      Refuse(ctx, conn_id, id, code::kUnknownTarget, "no client '" + target + "'");
      return;
    case services::Mailbox::Result::Full:
      ctx.stats.messages_refused++;
      AnswerRefused(ctx, conn_id, id, code::kTargetFull,
                    "client '" + target + "' has too many undelivered events, retry later", true);
      return;
    case services::Mailbox::Result::Failed:
      AnswerRefused(ctx, conn_id, id, code::kUnavailable, "event store unavailable, retry later",
                    true);
      return;
  }
}

// The sender's fields, then "from": the receiver learns who sent it from the
// server, never from the sender.
void PutDirect(LoopContext& ctx, uint64_t conn_id, const std::string& sender,
               const proto::ClientEvent& event) {
  proto::EventFields fields = event.event;
  fields.emplace_back("from", sender);
  LoopContext* c = &ctx;
  std::string id = event.id;
  std::string target = event.to;
  bool sent = ctx.services.mailbox.Put(target, sender + " " + event.id, fields,
                                       [c, conn_id, id, target](services::Mailbox::Result r) {
                                         AnswerPut(*c, conn_id, id, target, r);
                                       });
  if (!sent) AnswerPut(ctx, conn_id, event.id, target, services::Mailbox::Result::Failed);
}

void SendDirect(LoopContext& ctx, Connection& conn, const RoutingPolicy& policy,
                const proto::ClientEvent& event) {
  const std::string& sender = conn.GetSession()->client;
  uint64_t conn_id = conn.Id();
  switch (policy.direct) {
    case RoutingPolicy::Direct::Any:
      PutDirect(ctx, conn_id, sender, event);
      return;
    case RoutingPolicy::Direct::None:
      Refuse(ctx, conn_id, event.id, code::kForbidden, "this client may not send direct messages");
      return;
    case RoutingPolicy::Direct::Group:
      break;
  }
  // Only to members of one group: ask Redis first. Replies come in order,
  // so messages to one target keep their order.
  LoopContext* c = &ctx;
  std::string group = policy.direct_group;
  ctx.services.groups.IsMember(
      group, event.to, [c, conn_id, sender, group, event](std::optional<bool> member) {
        if (!member) {
          AnswerRefused(*c, conn_id, event.id, code::kUnavailable,
                        "event store unavailable, retry later", true);
        } else if (!*member) {
          Refuse(*c, conn_id, event.id, code::kForbidden,
                 "this client may send direct messages only to members of group '" + group + "'");
        } else {
          PutDirect(*c, conn_id, sender, event);
        }
      });
}

void SendToGroup(LoopContext& ctx, Connection& conn, const RoutingPolicy& policy,
                 const proto::ClientEvent& event) {
  uint64_t conn_id = conn.Id();
  if (policy.groups == RoutingPolicy::Groups::None) {
    Refuse(ctx, conn_id, event.id, code::kForbidden, "this client may not send to groups");
    return;
  }
  services::Groups::Message message;
  message.sender = conn.GetSession()->client;
  message.group = event.to.substr(proto::kGroupPrefix.size());
  message.id = event.id;
  message.fields = event.event;
  message.sender_must_be_member = policy.groups == RoutingPolicy::Groups::Member;
  LoopContext* c = &ctx;
  std::string id = event.id;
  std::string group = message.group;
  ctx.services.groups.Send(
      std::move(message),
      [c, conn_id, id, group](services::Groups::Result result, services::Groups::Copies copies) {
        c->stats.group_copies += copies.stored;
        c->stats.group_copies_refused += copies.refused;
        switch (result) {
          case services::Groups::Result::Stored:
            c->stats.group_messages++;
            AnswerStored(*c, conn_id, id);
            return;
          case services::Groups::Result::UnknownTarget:
            Refuse(*c, conn_id, id, code::kUnknownTarget, "group '" + group + "' has no members");
            return;
          case services::Groups::Result::Forbidden:
            Refuse(*c, conn_id, id, code::kForbidden,
                   "this client is not a member of group '" + group + "'");
            return;
          case services::Groups::Result::TooLarge:
            Refuse(*c, conn_id, id, code::kGroupTooLarge,
                   "group '" + group + "' has more members than the server's max_group_members");
            return;
          case services::Groups::Result::Failed:
            AnswerRefused(*c, conn_id, id, code::kUnavailable,
                          "event store unavailable, retry later", true);
            return;
        }
      });
}

}  // namespace

void RouteClientEvent(LoopContext& ctx, Connection& conn, const proto::ClientEvent& event) {
  const RoutingPolicy& policy = conn.GetSession()->Policy(ctx.settings.messaging.defaults);
  if (event.to.compare(0, proto::kGroupPrefix.size(), proto::kGroupPrefix) == 0)
    SendToGroup(ctx, conn, policy, event);
  else
    SendDirect(ctx, conn, policy, event);
}

}  // namespace sp::connections
