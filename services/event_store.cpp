#include "services/event_store.h"

#include <algorithm>
#include <map>
#include <memory>

#include "services/redis_reply.h"
#include "shared/log.h"
#include "shared/messages.h"

namespace sp::services {
namespace {

// XACK then XDEL in one script call, so an acknowledged entry can never stay
// behind in the stream if the server dies between the two. One call carries
// the acks of many clients: KEYS are their streams, ARGV the group, then per
// key the number of its ids and the ids. pcall: a key that is not a stream
// (overwritten by hand) must not cost the other clients their acks. Returns
// how many keys refused.
constexpr std::string_view kAckScript =
    "local a, refused = 2, 0 "
    "for _, key in ipairs(KEYS) do "
    "local n = tonumber(ARGV[a]) "
    "local r = redis.pcall('XACK', key, ARGV[1], unpack(ARGV, a + 1, a + n)) "
    "if type(r) == 'table' and r.err then refused = refused + 1 "
    "else redis.call('XDEL', key, unpack(ARGV, a + 1, a + n)) end "
    "a = a + n + 1 "
    "end "
    "return refused";

}  // namespace

std::string_view EventStore::AckScriptText() {
  return kAckScript;
}

EventStore::EventStore(RedisLink& link, const Keys& keys)
    : link_(link), keys_(keys), ack_script_(kAckScript), reader_(link, keys) {}

void EventStore::ClaimPending(const std::string& client, const std::string& cursor, size_t count,
                              ClaimCallback cb) {
  ClaimPendingOnce(client, cursor, count, std::move(cb), false);
}

void EventStore::ClaimPendingOnce(const std::string& client, const std::string& cursor,
                                  size_t count, ClaimCallback cb, bool retried) {
  std::string key = keys_.Events(client);
  std::string n = std::to_string(count);
  // The whole pending list is this client's (one stream per client), whichever
  // consumer holds it: entries read under older consumer names are claimed too.
  // XPENDING gives each entry's delivery count; XAUTOCLAIM (same range, same
  // count) returns the bodies and bumps the counts. Pipelined: one round trip.
  auto counts = std::make_shared<std::unordered_map<std::string, uint32_t>>();
  link_.Command({"XPENDING", key, kGroup, cursor, "+", n}, [counts](const redisReply* r) {
    if (r == nullptr || r->type != REDIS_REPLY_ARRAY) return;
    for (size_t i = 0; i < r->elements; ++i) {
      const redisReply* e = r->element[i];
      if (e->type != REDIS_REPLY_ARRAY || e->elements < 4) continue;
      (*counts)[std::string(ReplyText(e->element[0]))] =
          static_cast<uint32_t>(e->element[3]->integer);
    }
  });
  bool sent =
      link_.Command({"XAUTOCLAIM", key, kGroup, kConsumer, "0", cursor, "COUNT", n},
                    [this, client, cursor, count, counts, cb, retried, key](const redisReply* r) {
                      // The session start script creates the group; it is missing here only
                      // when the stream was deleted since: create it (MKSTREAM, at "0") and
                      // claim again, instead of an XGROUP CREATE before every claim.
                      if (IsNoGroup(r) && !retried) {
                        link_.Command({"XGROUP", "CREATE", key, kGroup, "0", "MKSTREAM"});
                        ClaimPendingOnce(client, cursor, count, cb, true);
                        return;
                      }
                      Claimed claimed;
                      if (IsError(r) || r->type != REDIS_REPLY_ARRAY || r->elements < 2 ||
                          !ParseEntries(r->element[1], &claimed.entries)) {
                        LogIfError(r, "redis.claim_failed");
                        cb(false, {});
                        return;
                      }
                      claimed.next_cursor = std::string(ReplyText(r->element[0]));
                      if (r->elements >= 3 && r->element[2]->type == REDIS_REPLY_ARRAY) {
                        for (size_t i = 0; i < r->element[2]->elements; ++i)
                          claimed.deleted.emplace_back(ReplyText(r->element[2]->element[i]));
                      }
                      for (StreamEntry& e : claimed.entries) {
                        auto it = counts->find(e.id);
                        e.delivery_count = (it == counts->end() ? 0 : it->second) + 1;
                      }
                      cb(true, std::move(claimed));
                    });
  if (!sent) cb(false, {});
}

void EventStore::Ack(const std::string& client, const std::string& event_id) {
  batches_[client].acks.push_back(event_id);
  ++queued_acks_;
}

void EventStore::CountRedelivery(const std::string& client, const std::string& event_id,
                                 uint32_t attempt) {
  batches_[client].redeliveries.emplace_back(event_id, attempt);
}

void EventStore::Flush() {
  if (batches_.empty() || !link_.IsUp()) return;
  auto batches = std::move(batches_);
  batches_.clear();
  queued_acks_ = 0;
  // One call per shard (a cluster slot): a script touches keys of one slot.
  struct Open {
    std::shared_ptr<AckCall> call = std::make_shared<AckCall>();
    size_t in_call = 0;
  };
  std::map<uint32_t, Open> open;
  for (auto& [client, batch] : batches) {
    Open& o = open[link_.BatchShard(keys_.Events(client))];
    for (size_t i = 0; i < batch.acks.size(); i += kAcksPerKey) {
      size_t end = std::min(batch.acks.size(), i + kAcksPerKey);
      if (o.in_call + (end - i) > kAcksPerCall && o.in_call > 0) {
        SendAcks(std::move(o.call));
        o.call = std::make_shared<AckCall>();
        o.in_call = 0;
      }
      o.call->emplace_back(
          client, std::vector<std::string>(std::make_move_iterator(batch.acks.begin() + i),
                                           std::make_move_iterator(batch.acks.begin() + end)));
      o.in_call += end - i;
    }
    if (!batch.redeliveries.empty()) SendRedeliveries(client, batch.redeliveries);
  }
  for (auto& [shard, o] : open)
    if (o.in_call > 0) SendAcks(std::move(o.call));
}

void EventStore::SendAcks(std::shared_ptr<AckCall> call) {
  // Argv holds views: the keys and counts live until Run() returns.
  std::vector<std::string> keys;
  std::vector<std::string> counts;
  keys.reserve(call->size());
  counts.reserve(call->size());
  for (const auto& [client, ids] : *call) {
    keys.push_back(keys_.Events(client));
    counts.push_back(std::to_string(ids.size()));
  }
  std::string numkeys = std::to_string(call->size());
  RedisLink::Argv argv = {numkeys};
  for (const std::string& key : keys) argv.push_back(key);
  argv.push_back(kGroup);
  for (size_t i = 0; i < call->size(); ++i) {
    argv.push_back(counts[i]);
    for (const std::string& id : (*call)[i].second) argv.push_back(id);
  }
  auto requeue = [this, call]() {
    for (const auto& [client, ids] : *call)
      for (const auto& id : ids) Ack(client, id);
  };
  bool sent = ack_script_.Run(link_, argv, [requeue](const redisReply* r) {
    // XACK/XDEL are idempotent: after a lost link or a passing refusal
    // (Redis loading its AOF, busy, out of memory) they go again next flush.
    if (r == nullptr || IsTransientRedisError(r)) requeue();
    LogIfError(r, "redis.ack_failed");
    if (r != nullptr && r->type == REDIS_REPLY_INTEGER && r->integer > 0)
      log::Warn("redis.ack_refused", {{"streams", r->integer}});
  });
  if (!sent) requeue();
}

// JUSTID alone does not count a delivery: RETRYCOUNT sets the count to the
// attempt just sent, so a later session resumes from the right attempt.
void EventStore::SendRedeliveries(
    const std::string& client, const std::vector<std::pair<std::string, uint32_t>>& redeliveries) {
  std::string key = keys_.Events(client);
  for (const auto& [id, attempt] : redeliveries) {
    std::string count = std::to_string(attempt);
    // Best effort: while the session lives, its own attempt count is authoritative.
    link_.Command({"XCLAIM", key, kGroup, kConsumer, "0", id, "RETRYCOUNT", count, "JUSTID"});
  }
}

// The dead-letter XADD and the removal from the events stream are one unit
// (MULTI/EXEC): an event is always in exactly one of the two streams. Not a
// script: unpack() of an event with thousands of fields overflows Lua's stack,
// and the event would stay pending forever. The commands leave back to back
// on one connection (in a cluster, the slot owner's: both streams carry the
// client's tag), so nothing else can land inside the transaction.
void EventStore::DeadLetter(const std::string& client, const StreamEntry& entry,
                            std::string_view reason, uint32_t attempts, DoneCallback cb) {
  std::string attempts_text = std::to_string(attempts);
  std::string ts = std::to_string(proto::NowMs());
  // Argv holds views: every string it names must outlive the Command() call.
  std::string events_key = keys_.Events(client);
  std::string dead_key = keys_.Dead(client);
  // The event's fields first, the server's last: readers that keep the last
  // of repeated names see the server's eventId/reason/attempts/deadAt even
  // when a producer used those names.
  RedisLink::Argv xadd = {"XADD", dead_key, "*"};
  for (const auto& [field, value] : entry.fields) {
    xadd.push_back(field);
    xadd.push_back(value);
  }
  xadd.insert(xadd.end(),
              {"eventId", entry.id, "reason", reason, "attempts", attempts_text, "deadAt", ts});
  bool sent = link_.Transaction(
      {xadd, {"XACK", events_key, kGroup, entry.id}, {"XDEL", events_key, entry.id}},
      [cb](const redisReply* r) {
        bool ok = r != nullptr && r->type == REDIS_REPLY_ARRAY;
        for (size_t i = 0; ok && i < r->elements; ++i) ok = !IsError(r->element[i]);
        if (!ok) LogIfError(r, "redis.dead_letter_failed");
        cb(ok);
      });
  // A link lost halfway leaves an unfinished MULTI: Redis discards it with
  // the connection, and the entry stays pending for a later try.
  if (!sent) cb(false);
}

}  // namespace sp::services
