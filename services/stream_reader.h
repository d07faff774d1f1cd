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
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "services/keys.h"
#include "services/redis_link.h"
#include "services/stream_entry.h"

namespace sp::services {

class StreamReader {
 public:
  using ReadCallback = std::function<void(bool ok, std::vector<StreamEntry> entries)>;
  static constexpr size_t kMaxStreams = 256;

  StreamReader(RedisLink& link, const Keys& keys) : link_(link), keys_(keys) {}

  // Queues a read of up to `count` new entries of the client's stream; `cb`
  // runs once its command is answered (ok=false: Redis away or refusing).
  void Read(const std::string& client, size_t count, ReadCallback cb);
  // Sends every queued read.
  void Flush();
  size_t Queued() const { return queued_; }

 private:
  struct Request {
    std::string key;
    ReadCallback cb;
  };
  using Batch = std::vector<Request>;

  void Send(std::shared_ptr<Batch> batch, size_t count, bool retried);
  void OnReply(const std::shared_ptr<Batch>& batch, size_t count, bool retried,
               const redisReply* r);

  RedisLink& link_;
  const Keys& keys_;
  std::map<size_t, Batch> queued_by_count_;
  size_t queued_ = 0;
};

}  // namespace sp::services
