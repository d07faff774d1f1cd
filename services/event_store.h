// The per-client event streams: sp:{ID}:events with consumer group "sealpost"
// (one consumer, kConsumer). Delivered-but-unacked entries are the group's
// pending list, so any node can resume a client after a crash.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "services/keys.h"
#include "services/lua_script.h"
#include "services/redis_link.h"
#include "services/stream_entry.h"
#include "services/stream_reader.h"

namespace sp::services {

class EventStore {
 public:
  struct Claimed {
    std::vector<StreamEntry> entries;  // delivery_count already includes this claim
    std::vector<std::string> deleted;  // pending ids whose entries no longer exist
    std::string next_cursor;           // "0-0" once the pending list is exhausted
  };
  using ClaimCallback = std::function<void(bool ok, Claimed claimed)>;
  using ReadCallback = StreamReader::ReadCallback;
  using DoneCallback = std::function<void(bool ok)>;

  EventStore(RedisLink& link, const Keys& keys);

  // Claims up to `count` of the client's pending entries from `cursor` on
  // ("0-0" = from the start); creates the group only when Redis says it is
  // missing (NOGROUP), then claims again. Session start claims its first page
  // in its own script (services/session_start.h).
  void ClaimPending(const std::string& client, const std::string& cursor, size_t count,
                    ClaimCallback cb);
  // Queues a read of up to `count` never-delivered entries (XREADGROUP ... >);
  // the reads of one loop iteration leave together at SendReads().
  // `epoch` is the reading session's (StreamReader: the session fence).
  void ReadNew(const std::string& client, uint64_t epoch, size_t count, ReadCallback cb) {
    reader_.Read(client, epoch, count, std::move(cb));
  }
  void SendReads() { reader_.Flush(); }

  // Batched until Flush(): acknowledged entries leave the pending list and the stream.
  void Ack(const std::string& client, const std::string& event_id);
  // Batched: a resend counts as a delivery in Redis too (XCLAIM bumps the count),
  // so attempts survive a server crash.
  void CountRedelivery(const std::string& client, const std::string& event_id, uint32_t attempt);
  // Moves one entry to sp:{ID}:dead with the reason, atomically with its removal.
  void DeadLetter(const std::string& client, const StreamEntry& entry, std::string_view reason,
                  uint32_t attempts, DoneCallback cb);

  // Sends every batched ack in as few script calls as their number allows
  // (one per kAcksPerCall ids, across clients), and the redelivery counts.
  // Work that could not be sent, or whose reply was lost with the link, stays
  // queued.
  void Flush();
  size_t QueuedAcks() const { return queued_acks_; }
  bool HasQueued() const { return !batches_.empty(); }

  // The ack script (KEYS: streams; ARGV: group, then per key its number of
  // ids and the ids), for tools that replay the server's Redis work (bench/).
  static std::string_view AckScriptText();
  // Per call: unpack() puts a key's ids on Lua's stack (8,000 slots), and a
  // bounded call keeps any one script short for the other clients' commands.
  static constexpr size_t kAcksPerKey = 256;
  static constexpr size_t kAcksPerCall = 1024;

 private:
  struct Batch {
    std::vector<std::string> acks;
    std::vector<std::pair<std::string, uint32_t>> redeliveries;  // id, attempt
  };
  // (client, acked ids) of one script call.
  using AckCall = std::vector<std::pair<std::string, std::vector<std::string>>>;
  void SendAcks(std::shared_ptr<AckCall> call);
  void SendRedeliveries(const std::string& client,
                        const std::vector<std::pair<std::string, uint32_t>>& redeliveries);
  void ClaimPendingOnce(const std::string& client, const std::string& cursor, size_t count,
                        ClaimCallback cb, bool retried);

  RedisLink& link_;
  const Keys& keys_;
  std::unordered_map<std::string, Batch> batches_;
  size_t queued_acks_ = 0;
  LuaScript ack_script_;
  StreamReader reader_;
};

}  // namespace sp::services
