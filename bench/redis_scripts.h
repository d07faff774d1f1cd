// The Lua scripts sealpost-server runs, copied verbatim so the floors replay
// exactly the server's Redis work (keep in step with services/event_store.cpp,
// services/usage.cpp and services/mailbox.cpp).
#pragma once

namespace spb {

// services/event_store.cpp: an acked batch is XACKed and XDELed in one call.
constexpr const char* kAckScript =
    "redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, 2)) "
    "return redis.call('XDEL', KEYS[1], unpack(ARGV, 2))";

// services/usage.cpp: per client and flush, the usage counters.
constexpr const char* kUsageScript =
    "for i = 2, #ARGV - 1, 2 do redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1]) end "
    "if ARGV[1] ~= '' then redis.call('HSET', KEYS[1], 'last_seen', ARGV[1]) end "
    "return 1";

// services/mailbox.cpp: one copy of a direct or group message. KEYS: client
// record, events stream, seen zset; ARGV: message key, dedupe window ms, max
// ids, max queued, then the fields. 1 stored, 2 duplicate, 0 unknown, 3 full.
constexpr const char* kPutScript =
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

// The server's defaults for the put script's ARGV 2-4 (services/inbound.h,
// services/mailbox.h): dedupe window 600 s, 1,000 ids, 100,000 queued.
constexpr const char* kPutWindowMs = "600000";
constexpr const char* kPutMaxIds = "1000";
constexpr const char* kPutMaxQueued = "100000";

}  // namespace spb
