#include "services/mailbox.h"

#include "services/redis_reply.h"

namespace sp::services {
namespace {

// KEYS: sp:{ID}:client, sp:{ID}:events, sp:{ID}:seen (one slot). ARGV:
// message key ('' for none), window ms (0: no dedupe), max ids, max queued
// (0: no cap), then the entry's field/value pairs. Returns 1 stored, 2
// duplicate, 0 unknown target, 3 full. Acked entries are deleted (XACK+XDEL),
// so XLEN counts what is still queued. Redis's clock scores the keys, so the
// window holds across nodes whatever their clocks say.
constexpr std::string_view kPutScript =
    "redis.replicate_commands() "
    "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end "
    "local window = tonumber(ARGV[2]) "
    "local dedupe = window > 0 and ARGV[1] ~= '' "
    "local now = 0 "
    "if dedupe then "
    "  local t = redis.call('TIME') "
    "  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) "
    "  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - window) "
    "  if redis.call('ZSCORE', KEYS[3], ARGV[1]) then return 2 end "
    "end "
    "local cap = tonumber(ARGV[4]) "
    "if cap > 0 and redis.call('XLEN', KEYS[2]) >= cap then return 3 end "
    "redis.call('XADD', KEYS[2], '*', unpack(ARGV, 5)) "
    "if dedupe then "
    "  redis.call('ZADD', KEYS[3], now, ARGV[1]) "
    "  local extra = redis.call('ZCARD', KEYS[3]) - tonumber(ARGV[3]) "
    "  if extra > 0 then redis.call('ZREMRANGEBYRANK', KEYS[3], 0, extra - 1) end "
    "  redis.call('PEXPIRE', KEYS[3], window) "
    "end "
    "return 1";

}  // namespace

std::string_view Mailbox::PutScriptText() {
  return kPutScript;
}

Mailbox::Mailbox(RedisLink& link, const Keys& keys, Config config)
    : link_(link), keys_(keys), config_(config), put_script_(kPutScript) {}

bool Mailbox::Put(const std::string& target, std::string_view message_key,
                  const proto::EventFields& fields, DoneCallback cb) {
  std::string client_key = keys_.Client(target);
  std::string events_key = keys_.Events(target);
  std::string seen_key = keys_.Seen(target);
  std::string window = std::to_string(config_.dedupe_max_ids > 0 ? config_.dedupe_window_ms : 0);
  std::string max_ids = std::to_string(config_.dedupe_max_ids);
  std::string max_queued = std::to_string(config_.max_queued);
  RedisLink::Argv argv = {"3",         client_key, events_key, seen_key,
                          message_key, window,     max_ids,    max_queued};
  argv.reserve(argv.size() + 2 * fields.size());
  for (const auto& [name, value] : fields) {
    argv.push_back(name);
    argv.push_back(value);
  }
  return put_script_.Run(link_, argv, [cb = std::move(cb)](const redisReply* r) {
    if (LogIfError(r, "redis.mailbox_failed") || r == nullptr || r->type != REDIS_REPLY_INTEGER) {
      cb(Result::Failed);
      return;
    }
    switch (r->integer) {
      case 1:
        cb(Result::Stored);
        return;
      case 2:
        cb(Result::Duplicate);
        return;
      case 3:
        cb(Result::Full);
        return;
      default:
        cb(Result::UnknownTarget);
        return;
    }
  });
}

}  // namespace sp::services
