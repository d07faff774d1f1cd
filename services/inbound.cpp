#include "services/inbound.h"

#include "services/redis_reply.h"

namespace sp::services {

void Inbound::Add(const std::string& client, const proto::ClientEvent& event, DoneCallback cb) {
  std::string ts = std::to_string(event.ts);
  std::string max_len = std::to_string(max_len_);
  RedisLink::Argv argv = {"XADD", key_};
  if (max_len_ > 0) {
    argv.push_back("MAXLEN");
    argv.push_back("~");
    argv.push_back(max_len);
  }
  argv.insert(argv.end(), {"*", "client", client, "id", event.id, "ts", ts});
  for (const auto& [field, value] : event.event) {
    argv.push_back(field);
    argv.push_back(value);
  }
  bool sent = link_.Command(argv, [cb](const redisReply* r) {
    LogIfError(r, "redis.inbound_failed");
    cb(!IsError(r) && r->type == REDIS_REPLY_STRING, ReplyText(r));
  });
  if (!sent) cb(false, {});
}

}  // namespace sp::services
