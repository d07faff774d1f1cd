#include "services/inbound.h"

#include <memory>

#include "services/redis_reply.h"

namespace sp::services {
namespace {

// KEYS[1]: the client's counters for today. ARGV: the event's bytes, the
// events limit, the bytes limit (0: none). Counts and returns 1 only when the
// event fits, so a refused event costs nothing of the day's allowance.
constexpr std::string_view kDailyQuotaScript =
    "local e = tonumber(redis.call('HGET', KEYS[1], 'events') or '0') "
    "local b = tonumber(redis.call('HGET', KEYS[1], 'bytes') or '0') "
    "local n = tonumber(ARGV[1]) "
    "if (ARGV[2] ~= '0' and e + 1 > tonumber(ARGV[2])) or "
    "   (ARGV[3] ~= '0' and b + n > tonumber(ARGV[3])) then return 0 end "
    "redis.call('HINCRBY', KEYS[1], 'events', 1) "
    "redis.call('HINCRBY', KEYS[1], 'bytes', n) "
    "redis.call('EXPIRE', KEYS[1], 172800) "
    "return 1";

constexpr int64_t kDayMs = 24 * 3600 * 1000ll;

}  // namespace

void Inbound::Add(const std::string& client, const proto::ClientEvent& event, uint64_t bytes,
                  DailyQuota daily, DoneCallback cb) {
  if (daily.events == 0 && daily.bytes == 0) {
    Append(client, event, std::move(cb));
    return;
  }
  std::string day_key = keys_.InboundDay(client, proto::NowMs() / kDayMs);
  std::string bytes_text = std::to_string(bytes);
  std::string events_limit = std::to_string(daily.events);
  std::string bytes_limit = std::to_string(daily.bytes);
  // The event must outlive the script's round trip.
  auto pending = std::make_shared<proto::ClientEvent>(event);
  bool sent = link_.Command(
      {"EVAL", kDailyQuotaScript, "1", day_key, bytes_text, events_limit, bytes_limit},
      [this, client, pending, cb](const redisReply* r) {
        if (LogIfError(r, "redis.inbound_quota_failed") || r == nullptr ||
            r->type != REDIS_REPLY_INTEGER) {
          cb(Result::Failed);
          return;
        }
        if (r->integer != 1) {
          cb(Result::OverDailyQuota);
          return;
        }
        Append(client, *pending, cb);
      });
  if (!sent) cb(Result::Failed);
}

void Inbound::Append(const std::string& client, const proto::ClientEvent& event, DoneCallback cb) {
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
    cb(!IsError(r) && r->type == REDIS_REPLY_STRING ? Result::Stored : Result::Failed);
  });
  if (!sent) cb(Result::Failed);
}

}  // namespace sp::services
