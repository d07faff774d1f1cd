// Values copied out of hiredis replies: a reply lives only during its callback.
#pragma once

#include <hiredis/hiredis.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shared/messages.h"

namespace sp::services {

struct StreamEntry {
  std::string id;
  proto::EventFields fields;  // empty when the entry was deleted from the stream
  uint32_t delivery_count = 0;
};

inline std::string_view ReplyText(const redisReply* r) {
  return (r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ||
                r->type == REDIS_REPLY_ERROR))
             ? std::string_view(r->str, r->len)
             : std::string_view();
}
inline bool IsError(const redisReply* r) {
  return r == nullptr || r->type == REDIS_REPLY_ERROR;
}

// Parses [id, [field, value, ...]] entries (XRANGE / XCLAIM / XAUTOCLAIM shape).
// Entries whose body is nil (deleted from the stream) keep empty fields.
bool ParseEntries(const redisReply* array, std::vector<StreamEntry>* out);

}  // namespace sp::services
