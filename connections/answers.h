// Admission of a client-event or request against the client's quota, and
// the answer to it once Redis has spoken: `ack {id}`,
// or an error naming the id. Sent only if the connection is still active;
// otherwise the client resends on its next session (ids make that safe).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sp::connections {

struct LoopContext;
class Connection;

// Takes a client-event's or request's share of the client's per-second
// inbound quota; over it, answers `quota` (retry later) at once and returns
// false: nothing is written for it.
bool TakeInboundQuota(LoopContext& ctx, Connection& conn, const std::string& id, uint64_t bytes);

void AnswerStored(LoopContext& ctx, uint64_t conn_id, const std::string& id);
void AnswerRefused(LoopContext& ctx, uint64_t conn_id, const std::string& id, std::string_view code,
                   std::string message, bool retry);

}  // namespace sp::connections
