#include "services/inbound.h"

#include "services/redis_reply.h"

namespace sp::services {
namespace {

// KEYS: the client's seen ids ({sp:inbound}:seen:<ID>), sp:inbound, the
// client's counters for today. ARGV: event id, window ms (0: no dedupe), max
// ids, event bytes, events limit, bytes limit (0: none), MAXLEN (0: none),
// then the entry's field/value pairs. Returns 1 stored, 2 duplicate, 0 over
// the day's quota. Redis's own clock scores the ids, so nodes whose clocks
// disagree still share one window; a refused event costs nothing of the
// day's allowance and is not remembered.
constexpr std::string_view kAddScript =
    "redis.replicate_commands() "
    "local t = redis.call('TIME') "
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) "
    "local window = tonumber(ARGV[2]) "
    "if window > 0 then "
    "  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window) "
    "  if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 2 end "
    "end "
    "local quota = ARGV[5] ~= '0' or ARGV[6] ~= '0' "
    "local n = tonumber(ARGV[4]) "
    "if quota then "
    "  local e = tonumber(redis.call('HGET', KEYS[3], 'events') or '0') "
    "  local b = tonumber(redis.call('HGET', KEYS[3], 'bytes') or '0') "
    "  if (ARGV[5] ~= '0' and e + 1 > tonumber(ARGV[5])) or "
    "     (ARGV[6] ~= '0' and b + n > tonumber(ARGV[6])) then return 0 end "
    "end "
    // Written only once the entry is in: a failed XADD counts and remembers nothing.
    "local xadd = {'XADD', KEYS[2]} "
    "if ARGV[7] ~= '0' then "
    "  xadd[3] = 'MAXLEN' xadd[4] = '~' xadd[5] = ARGV[7] "
    "end "
    "xadd[#xadd + 1] = '*' "
    "for i = 8, #ARGV do xadd[#xadd + 1] = ARGV[i] end "
    "redis.call(unpack(xadd)) "
    "if quota then "
    "  redis.call('HINCRBY', KEYS[3], 'events', 1) "
    "  redis.call('HINCRBY', KEYS[3], 'bytes', n) "
    "  redis.call('EXPIRE', KEYS[3], 172800) "
    "end "
    "if window > 0 then "
    "  redis.call('ZADD', KEYS[1], now, ARGV[1]) "
    "  local extra = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[3]) "
    "  if extra > 0 then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, extra - 1) end "
    "  redis.call('PEXPIRE', KEYS[1], window) "
    "end "
    "return 1";

constexpr int64_t kDayMs = 24 * 3600 * 1000ll;

}  // namespace

Inbound::Inbound(RedisLink& link, const Keys& keys, Config config)
    : link_(link), keys_(keys), config_(config), add_script_(kAddScript) {}

void Inbound::Add(const std::string& client, const proto::ClientEvent& event, uint64_t bytes,
                  DailyQuota daily, DoneCallback cb) {
  int64_t day = proto::NowMs() / kDayMs;
  Target target{keys_.Inbound(client), keys_.InboundSeen(client), keys_.InboundDay(client, day)};
  std::string ts = std::to_string(event.ts);
  proto::EventFields head = {{"client", client}, {"id", event.id}, {"ts", ts}};
  Store(target, event.id, head, event.event, bytes, daily, std::move(cb));
}

void Inbound::AddRequest(const std::string& client, const proto::Request& request, uint64_t bytes,
                         DailyQuota daily, DoneCallback cb) {
  int64_t day = proto::NowMs() / kDayMs;
  Target target{keys_.Requests(request.method, client), keys_.RequestsSeen(request.method, client),
                keys_.RequestsDay(request.method, client, day)};
  std::string ts = std::to_string(request.ts);
  proto::EventFields head = {{"client", client},
                             {"id", request.id},
                             {"ts", ts},
                             {"method", request.method},
                             {"params", request.params}};
  Store(target, request.id, head, {}, bytes, daily, std::move(cb));
}

void Inbound::Store(const Target& target, const std::string& id, const proto::EventFields& head,
                    const proto::EventFields& fields, uint64_t bytes, DailyQuota daily,
                    DoneCallback cb) {
  std::string window = std::to_string(config_.dedupe_max_ids > 0 ? config_.dedupe_window_ms : 0);
  std::string max_ids = std::to_string(config_.dedupe_max_ids);
  std::string bytes_text = std::to_string(bytes);
  std::string events_limit = std::to_string(daily.events);
  std::string bytes_limit = std::to_string(daily.bytes);
  std::string max_len = std::to_string(config_.max_len);
  RedisLink::Argv argv = {"3", target.seen, target.stream, target.day};
  argv.insert(argv.end(), {id, window, max_ids, bytes_text, events_limit, bytes_limit, max_len});
  for (const proto::EventFields* part : {&head, &fields}) {
    for (const auto& [field, value] : *part) {
      argv.push_back(field);
      argv.push_back(value);
    }
  }
  bool sent = add_script_.Run(link_, argv, [cb](const redisReply* r) {
    if (LogIfError(r, "redis.inbound_failed") || r == nullptr || r->type != REDIS_REPLY_INTEGER) {
      cb(Result::Failed);
      return;
    }
    if (r->integer == 1)
      cb(Result::Stored);
    else if (r->integer == 2)
      cb(Result::Duplicate);
    else
      cb(Result::OverDailyQuota);
  });
  if (!sent) cb(Result::Failed);
}

}  // namespace sp::services
