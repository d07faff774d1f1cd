// Reading hiredis replies. The one services/ header that includes hiredis:
// code that only passes replies around needs nothing but redis_link.h.
#pragma once

#include <hiredis/hiredis.h>

#include <string_view>
#include <vector>

#include "services/stream_entry.h"

namespace sp::services {

// The text of a string, status or error reply; empty for anything else.
inline std::string_view ReplyText(const redisReply* r) {
  return (r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ||
                r->type == REDIS_REPLY_ERROR))
             ? std::string_view(r->str, r->len)
             : std::string_view();
}
// True for an error reply and for nullptr (the link went down before the reply).
inline bool IsError(const redisReply* r) {
  return r == nullptr || r->type == REDIS_REPLY_ERROR;
}

// The stream or its consumer group is gone (deleted under a live session).
inline bool IsNoGroup(const redisReply* r) {
  return r != nullptr && r->type == REDIS_REPLY_ERROR && ReplyText(r).substr(0, 7) == "NOGROUP";
}

// Logs an error reply as warning `event` with error=<its text>; true when `r`
// was one. A lost link (nullptr) is not logged here: the link logs it.
bool LogIfError(const redisReply* r, std::string_view event);

// Parses [id, [field, value, ...]] entries (XRANGE / XCLAIM / XAUTOCLAIM shape).
// Entries whose body is nil (deleted from the stream) keep empty fields.
bool ParseEntries(const redisReply* array, std::vector<StreamEntry>* out);

}  // namespace sp::services
