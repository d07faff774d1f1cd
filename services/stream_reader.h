// Reads the never-delivered entries of many clients' streams with one
// XREADGROUP per loop iteration, instead of one per notified client.
//
// At a fixed rate spread over many clients almost every read returns one
// entry, so the per-command cost in Redis (parse, dispatch, reply write) and
// a system call on each side dominate. Reads asked for during one loop
// iteration are queued and leave together when the loop calls Flush(): one
// multi-stream XREADGROUP per distinct COUNT (sessions with a full window
// ask for the same count, so there is usually one), at most kMaxStreams
// streams each. Under load an iteration gathers more reads, so the cost per
// event falls exactly when it matters.
//
// Every stream is read as the same consumer (kConsumer): a stream belongs to
// one client, so a per-client or per-node consumer name would carry nothing
// the stream does not, and one name is what lets streams share a command.
//
// The session fence: the reads go through one script that, per stream, reads
// only if sp:{ID}:epoch still holds the reading session's epoch. A node whose
// session was taken over by another node (a higher epoch, written by the
// newer session's start) reads nothing, so no entry can land in the pending
// list behind the newer session's back: the newer session reads it itself.
// Node clocks play no part. In a Redis Cluster one call reads the streams of
// one slot (RedisLink::BatchShard).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "services/keys.h"
#include "services/lua_script.h"
#include "services/redis_link.h"
#include "services/stream_entry.h"

namespace sp::services {

class StreamReader {
 public:
  // `fenced`: a newer session of the client holds the epoch; nothing was read.
  using ReadCallback = std::function<void(bool ok, std::vector<StreamEntry> entries, bool fenced)>;
  static constexpr size_t kMaxStreams = 256;

  StreamReader(RedisLink& link, const Keys& keys);

  // Queues a read of up to `count` new entries of the client's stream for
  // the session holding `epoch` (0: no fence, for tools and tests); `cb`
  // runs once its command is answered (ok=false: Redis away or refusing).
  void Read(const std::string& client, uint64_t epoch, size_t count, ReadCallback cb);
  static std::string_view ScriptText();
  // Sends every queued read.
  void Flush();
  size_t Queued() const { return queued_; }

 private:
  struct Request {
    std::string key;
    std::string epoch_key;
    std::string epoch;  // "" = no fence
    ReadCallback cb;
  };
  using Batch = std::vector<Request>;

  void Send(std::shared_ptr<Batch> batch, size_t count, bool retried);
  void OnReply(const std::shared_ptr<Batch>& batch, size_t count, bool retried,
               const redisReply* r);

  RedisLink& link_;
  const Keys& keys_;
  LuaScript script_;
  // By (COUNT, shard): one command reads streams of one shard (a cluster slot).
  std::map<std::pair<size_t, uint32_t>, Batch> queued_by_count_;
  size_t queued_ = 0;
};

}  // namespace sp::services
