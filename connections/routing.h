// Client-events with "to": to one client's mailbox or to every member of a
// group, as the sender's policy allows (docs/PROTOCOL.md §6). The sender is
// answered `ack {id}` once every copy is in Redis, or an error naming why not.
#pragma once

#include "shared/messages.h"

namespace sp::connections {

struct LoopContext;
class Connection;

void RouteClientEvent(LoopContext& ctx, Connection& conn, const proto::ClientEvent& event);

}  // namespace sp::connections
