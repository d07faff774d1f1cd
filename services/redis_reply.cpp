#include "services/redis_reply.h"

#include "shared/log.h"

namespace sp::services {

bool LogIfError(const redisReply* r, std::string_view event) {
  if (r == nullptr || r->type != REDIS_REPLY_ERROR) return false;
  log::Warn(event, {{"error", ReplyText(r)}});
  return true;
}

bool ParseEntries(const redisReply* array, std::vector<StreamEntry>* out) {
  if (array == nullptr || array->type != REDIS_REPLY_ARRAY) return false;
  out->reserve(out->size() + array->elements);
  for (size_t i = 0; i < array->elements; ++i) {
    const redisReply* e = array->element[i];
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
        e->element[0]->type != REDIS_REPLY_STRING) {
      return false;
    }
    StreamEntry entry;
    entry.id = std::string(ReplyText(e->element[0]));
    const redisReply* body = e->element[1];
    if (body->type == REDIS_REPLY_ARRAY) {
      entry.fields.reserve(body->elements / 2);
      for (size_t f = 0; f + 1 < body->elements; f += 2) {
        entry.fields.emplace_back(std::string(ReplyText(body->element[f])),
                                  std::string(ReplyText(body->element[f + 1])));
      }
    }
    out->push_back(std::move(entry));
  }
  return true;
}

}  // namespace sp::services
