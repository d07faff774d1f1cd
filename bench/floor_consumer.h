// The delivery half of sealpost-server replayed against Redis without
// sealpost, for the Redis floors (redis-floor, dm-floor, fanout-floor). Per
// round, as the server per loop iteration (services/stream_reader.h,
// EventStore::Flush): one multi-stream XREADGROUP GROUP sealpost sealpost
// COUNT <batch> STREAMS k1..kN > ... > for every target stream with news (at
// most StreamReader::kMaxStreams streams per command; COUNT <batch> as if
// every client had acked at once), then the acks of everything the round read
// in one call of the server's ack script (XACK+XDEL) per
// EventStore::kAcksPerCall ids across streams (at most kAcksPerKey per
// stream), all pipelined; once a second the usage script, one call per 256 targets.
// Scripts by EVALSHA after one SCRIPT LOAD, as the server calls them; a
// subscriber takes the keyspace notifications the server would. Producers
// count what they stored per target with AddProduced().
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace spb {

class FloorConsumer {
 public:
  FloorConsumer(std::string redis_url, std::vector<std::string> targets, size_t batch);
  ~FloorConsumer();

  // Empties the targets' streams and dedupe sets, creates the consumer
  // groups, turns keyspace notifications on and starts the subscriber.
  void Prepare();
  // Rounds on the calling thread until done() says so.
  void Run(const std::function<bool()>& done);

  size_t Size() const { return targets_.size(); }
  const std::string& Target(size_t i) const { return targets_[i]; }
  void AddProduced(size_t i, uint64_t n) { produced_[i].fetch_add(n, std::memory_order_relaxed); }
  // Entries of target i read, and acked (the ack call answered).
  uint64_t Read(size_t i) const { return read_[i].load(std::memory_order_relaxed); }
  uint64_t Acked(size_t i) const { return acked_[i].load(std::memory_order_relaxed); }
  uint64_t TotalAcked() const { return total_acked_.load(); }
  // After Run(): streams read with entries (the server's per-client
  // batches), XREADGROUP commands, ack script calls.
  uint64_t Batches() const { return batches_; }
  uint64_t ReadCalls() const { return read_calls_; }
  uint64_t AckCalls() const { return ack_calls_; }
  uint64_t Notifications() const { return notifications_.load(); }

 private:
  std::string url_;
  std::vector<std::string> targets_;
  std::vector<std::string> keys_;
  size_t batch_;
  std::vector<std::atomic<uint64_t>> produced_;
  std::vector<std::atomic<uint64_t>> read_;
  std::vector<std::atomic<uint64_t>> acked_;
  std::atomic<uint64_t> total_acked_{0};
  uint64_t batches_ = 0;
  uint64_t read_calls_ = 0;
  uint64_t ack_calls_ = 0;
  std::atomic<uint64_t> notifications_{0};
  std::atomic<bool> stop_{false};
  std::thread subscriber_;
};

}  // namespace spb
