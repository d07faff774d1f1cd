#include "services/registry.h"

#include "services/redis_reply.h"

namespace sp::services {

void Registry::Lookup(const std::string& client, Callback cb) {
  bool sent =
      link_.Command({"HMGET", keys_.Client(client), "pk", "disabled"}, [cb](const redisReply* r) {
        ClientRecord rec;
        if (IsError(r) || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
          cb(rec);  // Unavailable
          return;
        }
        if (r->element[0]->type != REDIS_REPLY_STRING) {
          rec.status = ClientRecord::Status::NotFound;
          cb(rec);
          return;
        }
        rec.status = ClientRecord::Status::Found;
        rec.pk = std::string(ReplyText(r->element[0]));
        std::string_view d = ReplyText(r->element[1]);
        rec.disabled = !d.empty() && d != "0" && d != "false";
        cb(std::move(rec));
      });
  if (!sent) cb(ClientRecord{});
}

}  // namespace sp::services
