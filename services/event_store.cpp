#include "services/event_store.h"

#include <algorithm>
#include <memory>

#include "services/redis_reply.h"
#include "shared/messages.h"

namespace sp::services {
namespace {

// XACK then XDEL in one script call, so an acknowledged entry can never stay
// behind in the stream if the server dies between the two.
constexpr std::string_view kAckScript =
    "redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, 2)) "
    "return redis.call('XDEL', KEYS[1], unpack(ARGV, 2))";

bool IsNoGroup(const redisReply* r) {
  return r && r->type == REDIS_REPLY_ERROR && ReplyText(r).substr(0, 7) == "NOGROUP";
}

}  // namespace

EventStore::EventStore(RedisLink& link, const Keys& keys)
    : link_(link), keys_(keys), ack_script_(kAckScript) {}

void EventStore::ClaimPending(const std::string& client, const std::string& cursor, size_t count,
                              ClaimCallback cb) {
  ClaimPendingOnce(client, cursor, count, std::move(cb), false);
}

void EventStore::ClaimPendingOnce(const std::string& client, const std::string& cursor,
                                  size_t count, ClaimCallback cb, bool retried) {
  std::string key = keys_.Events(client);
  std::string n = std::to_string(count);
  std::string_view consumer = ConsumerName(client);
  // XPENDING gives each entry's delivery count; XAUTOCLAIM (same range, same
  // count) returns the bodies and bumps the counts. Pipelined: one round trip.
  auto counts = std::make_shared<std::unordered_map<std::string, uint32_t>>();
  link_.Command({"XPENDING", key, kGroup, cursor, "+", n, consumer}, [counts](const redisReply* r) {
    if (r == nullptr || r->type != REDIS_REPLY_ARRAY) return;
    for (size_t i = 0; i < r->elements; ++i) {
      const redisReply* e = r->element[i];
      if (e->type != REDIS_REPLY_ARRAY || e->elements < 4) continue;
      (*counts)[std::string(ReplyText(e->element[0]))] =
          static_cast<uint32_t>(e->element[3]->integer);
    }
  });
  bool sent =
      link_.Command({"XAUTOCLAIM", key, kGroup, consumer, "0", cursor, "COUNT", n},
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

void EventStore::ReadNew(const std::string& client, size_t count, ReadCallback cb) {
  ReadNewOnce(client, count, std::move(cb), false);
}

void EventStore::ReadNewOnce(const std::string& client, size_t count, ReadCallback cb,
                             bool retried) {
  std::string key = keys_.Events(client);
  std::string n = std::to_string(count);
  bool sent = link_.Command(
      {"XREADGROUP", "GROUP", kGroup, client, "COUNT", n, "STREAMS", key, ">"},
      [this, client, count, cb, retried, key](const redisReply* r) {
        // The stream (and its group) can be deleted under us: recreate, read again.
        if (IsNoGroup(r) && !retried) {
          link_.Command({"XGROUP", "CREATE", key, kGroup, "0", "MKSTREAM"});
          ReadNewOnce(client, count, cb, true);
          return;
        }
        std::vector<StreamEntry> entries;
        if (r != nullptr && r->type == REDIS_REPLY_NIL) {
          cb(true, {});
          return;
        }
        if (IsError(r) || r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
            r->element[0]->type != REDIS_REPLY_ARRAY || r->element[0]->elements != 2 ||
            !ParseEntries(r->element[0]->element[1], &entries)) {
          LogIfError(r, "redis.read_failed");
          cb(false, {});
          return;
        }
        for (StreamEntry& e : entries) e.delivery_count = 1;
        cb(true, std::move(entries));
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
  for (auto& [client, batch] : batches) {
    // Chunks keep every script call well under Lua's argument limit.
    constexpr size_t kChunk = 256;
    for (size_t i = 0; i < batch.acks.size(); i += kChunk) {
      size_t end = std::min(batch.acks.size(), i + kChunk);
      SendAcks(client, std::vector<std::string>(batch.acks.begin() + i, batch.acks.begin() + end));
    }
    if (!batch.redeliveries.empty()) SendRedeliveries(client, batch.redeliveries);
  }
}

void EventStore::SendAcks(const std::string& client, std::vector<std::string> ids) {
  std::string key = keys_.Events(client);
  RedisLink::Argv argv = {"1", key, kGroup};
  for (const auto& id : ids) argv.push_back(id);
  auto requeue = [this, client, ids]() {
    for (const auto& id : ids) Ack(client, id);
  };
  bool sent = ack_script_.Run(link_, argv, [requeue](const redisReply* r) {
    // XACK/XDEL are idempotent: after a lost link or a passing refusal
    // (Redis loading its AOF, busy, out of memory) they go again next flush.
    if (r == nullptr || IsTransientRedisError(r)) requeue();
    LogIfError(r, "redis.ack_failed");
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
    link_.Command({"XCLAIM", key, kGroup, client, "0", id, "RETRYCOUNT", count, "JUSTID"});
  }
}

// The dead-letter XADD and the removal from the events stream are one unit
// (MULTI/EXEC): an event is always in exactly one of the two streams. Not a
// script: unpack() of an event with thousands of fields overflows Lua's stack,
// and the event would stay pending forever. The commands leave back to back
// on this one link, so nothing else can land inside the transaction.
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
  bool sent = link_.Command({"MULTI"}) && link_.Command(xadd) &&
              link_.Command({"XACK", events_key, kGroup, entry.id}) &&
              link_.Command({"XDEL", events_key, entry.id}) &&
              link_.Command({"EXEC"}, [cb](const redisReply* r) {
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
