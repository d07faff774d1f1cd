#include "services/session_start.h"

#include "services/redis_reply.h"

namespace sp::services {
namespace {

// KEYS (all in the client's slot {ID}): 1 sp:{ID}:client, 2 sp:{ID}:epoch,
// 3 sp:{ID}:presence, 4 sp:{ID}:groups, 5 sp:{ID}:events.
// ARGV: 1 the key the client proved (base64), 2 node, 3 session, 4 since,
// 5 control channel, 6 client, 7 consumer group, 8 consumer, 9 claim count.
//
// The record is checked first, with the rules of connections/client_check.cpp
// (same key, not disabled), and a refused client gets the record back and
// nothing else: no epoch, no presence, no claim, so a peer holding another
// key cannot bump delivery counts or fence a live session. The HMGET fields
// are kClientRecordFields (services/registry.h), in that order.
//
// Then, as the presence script did: the epoch is taken, recorded and
// published in one step, so announcements leave in epoch order (the epoch key
// never expires: restarting the count would let an old live session outrank
// new ones). Then the first page of the pending list: XAUTOCLAIM from 0-0,
// creating the group only when it is missing (at "0", so events added before
// the first connection are delivered); XPENDING afterwards over the claimed
// range gives delivery counts that include this claim. XPENDING takes no
// consumer: a stream belongs to one client, so the group's whole pending
// list is the client's, whatever the consumer is called.
//
// Returns {record} when refused; else {record, epoch, present, groups,
// cursor, entries, counts, deleted}, or {record, epoch, present, groups,
// claim error} when the claim failed otherwise (the session stands: delivery
// retries the claim when Redis reconnects, as before).
constexpr std::string_view kStartScript = R"lua(
local rec = redis.call('HMGET', KEYS[1], 'pk', 'disabled', 'quota_events_per_s',
  'quota_bytes_per_s', 'quota_events_per_day', 'quota_bytes_per_day', 'direct', 'groups')
local off = rec[2]
if rec[1] ~= ARGV[1] or (off and off ~= '' and off ~= '0' and off ~= 'false') then
  return {rec}
end
local epoch = redis.call('INCR', KEYS[2])
local present = redis.call('EXISTS', KEYS[3])
redis.call('HSET', KEYS[3], 'node', ARGV[2], 'session', ARGV[3], 'since', ARGV[4], 'epoch', epoch)
redis.call('PUBLISH', ARGV[5],
  'session ' .. ARGV[6] .. ' ' .. ARGV[2] .. ' ' .. ARGV[3] .. ' ' .. ARGV[4] .. ' ' .. epoch)
local out = {rec, epoch, present, redis.call('SMEMBERS', KEYS[4])}
local claim = redis.pcall('XAUTOCLAIM', KEYS[5], ARGV[7], ARGV[8], 0, '0-0', 'COUNT', ARGV[9])
if claim.err then
  if string.sub(claim.err, 1, 7) ~= 'NOGROUP' then
    out[5] = claim
    return out
  end
  redis.call('XGROUP', 'CREATE', KEYS[5], ARGV[7], '0', 'MKSTREAM')
  claim = {'0-0', {}, {}}
end
local entries, counts = claim[2], {}
if #entries > 0 then
  local seen = {}
  local pending = redis.call('XPENDING', KEYS[5], ARGV[7], entries[1][1],
    entries[#entries][1], #entries)
  for _, p in ipairs(pending) do seen[p[1]] = p[4] end
  for i, e in ipairs(entries) do counts[i] = seen[e[1]] or 1 end
end
out[5], out[6], out[7], out[8] = claim[1], entries, counts, claim[3] or {}
return out
)lua";

bool ParseClaim(const redisReply* const* e, EventStore::Claimed* claim) {
  if (e[0]->type != REDIS_REPLY_STRING || !ParseEntries(e[1], &claim->entries) ||
      e[2]->type != REDIS_REPLY_ARRAY || e[3]->type != REDIS_REPLY_ARRAY)
    return false;
  claim->next_cursor = std::string(ReplyText(e[0]));
  for (size_t i = 0; i < claim->entries.size(); ++i) {
    const redisReply* count = i < e[2]->elements ? e[2]->element[i] : nullptr;
    bool known = count != nullptr && count->type == REDIS_REPLY_INTEGER && count->integer > 0;
    claim->entries[i].delivery_count = known ? static_cast<uint32_t>(count->integer) : 1;
  }
  for (size_t i = 0; i < e[3]->elements; ++i)
    claim->deleted.emplace_back(ReplyText(e[3]->element[i]));
  return true;
}

}  // namespace

SessionStarter::SessionStarter(RedisLink& link, const Keys& keys, std::string node)
    : link_(link), keys_(keys), node_(std::move(node)), script_(kStartScript) {}

void SessionStarter::Start(const SessionStartRequest& request, Callback cb) {
  // Argv holds views: every string it names must outlive the Run() call.
  const std::string& client = request.client;
  std::string client_key = keys_.Client(client);
  std::string epoch_key = keys_.Epoch(client);
  std::string presence_key = keys_.Presence(client);
  std::string groups_key = keys_.ClientGroups(client);
  std::string events_key = keys_.Events(client);
  std::string since = std::to_string(request.since_ms);
  std::string channel = keys_.ControlChannel();
  std::string count = std::to_string(request.claim_count);
  bool sent = script_.Run(
      link_,
      {"5", client_key, epoch_key, presence_key, groups_key, events_key, request.remote_pk, node_,
       request.session, since, channel, client, kGroup, kConsumer, count},
      [cb, since_ms = request.since_ms](const redisReply* r) {
        LogIfError(r, "redis.session_start_failed");
        SessionStartReply reply = ParseSessionStartReply(r);
        reply.start.since_ms = since_ms;
        cb(std::move(reply));
      });
  if (!sent) cb(SessionStartReply{});
}

SessionStartReply ParseSessionStartReply(const redisReply* r) {
  SessionStartReply out;
  if (IsError(r) || r->type != REDIS_REPLY_ARRAY || r->elements < 1) return out;
  out.record = ParseClientRecord(r->element[0]);
  if (r->elements < 5) return out;  // refused: nothing was written
  const redisReply* const* e = r->element;
  if (e[1]->type != REDIS_REPLY_INTEGER || e[1]->integer <= 0 || e[3]->type != REDIS_REPLY_ARRAY)
    return out;
  out.started = true;
  out.start.epoch = static_cast<uint64_t>(e[1]->integer);
  out.start.replaced_live_session = e[2]->type == REDIS_REPLY_INTEGER && e[2]->integer == 1;
  for (size_t i = 0; i < e[3]->elements; ++i)
    out.start.groups.emplace_back(ReplyText(e[3]->element[i]));
  if (r->elements == 8 && ParseClaim(e + 4, &out.claim)) {
    out.claimed = true;
  } else {
    LogIfError(e[4], "redis.claim_failed");
    out.claim = {};
  }
  return out;
}

}  // namespace sp::services
