#include "services/registry.h"

#include "services/redis_reply.h"

#include <iterator>
#include <string>

namespace sp::services {

namespace {

// A quota field: a non-negative integer, or -1 (absent or not a number: the
// server's default applies).
int64_t QuotaField(const redisReply* r) {
  std::string_view text = ReplyText(r);
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != text.npos)
    return -1;
  return std::stoll(std::string(text));
}

}  // namespace

ClientRecord ParseClientRecord(const redisReply* r) {
  ClientRecord rec;
  if (IsError(r) || r->type != REDIS_REPLY_ARRAY || r->elements != std::size(kClientRecordFields))
    return rec;  // Unavailable
  if (r->element[0]->type != REDIS_REPLY_STRING) {
    rec.status = ClientRecord::Status::NotFound;
    return rec;
  }
  rec.status = ClientRecord::Status::Found;
  rec.pk = std::string(ReplyText(r->element[0]));
  std::string_view d = ReplyText(r->element[1]);
  rec.disabled = !d.empty() && d != "0" && d != "false";
  rec.quota = {QuotaField(r->element[2]), QuotaField(r->element[3]), QuotaField(r->element[4]),
               QuotaField(r->element[5])};
  rec.direct_policy = std::string(ReplyText(r->element[6]));
  rec.group_policy = std::string(ReplyText(r->element[7]));
  return rec;
}

void Registry::Lookup(const std::string& client, Callback cb) {
  std::string key = keys_.Client(client);  // Argv holds views: keep the key alive
  RedisLink::Argv argv = {"HMGET", key};
  for (const char* field : kClientRecordFields) argv.push_back(field);
  bool sent = link_.Command(argv, [cb](const redisReply* r) { cb(ParseClientRecord(r)); });
  if (!sent) cb(ClientRecord{});
}

}  // namespace sp::services
