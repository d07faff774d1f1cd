// The delivery half of sealpost-server replayed against Redis without
// sealpost, for the messaging floors: for each target stream with news, one
// XREADGROUP COUNT <batch> (as if every client acked at once), then one ack
// script call (XACK+XDEL) per batch read, all pipelined; once a second one
// usage script call per target (scripts by EVALSHA after one SCRIPT LOAD, as
// the server calls them); a subscriber takes the keyspace notifications the server
// would. Producers count what they stored per target in Produced().
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
  uint64_t Read(size_t i) const { return read_[i].load(std::memory_order_relaxed); }
  uint64_t TotalAcked() const { return total_acked_.load(); }
  uint64_t Evals() const { return evals_; }
  uint64_t Notifications() const { return notifications_.load(); }

 private:
  std::string url_;
  std::vector<std::string> targets_;
  std::vector<std::string> keys_;
  size_t batch_;
  std::vector<std::atomic<uint64_t>> produced_;
  std::vector<std::atomic<uint64_t>> read_;
  std::atomic<uint64_t> total_acked_{0};
  uint64_t evals_ = 0;
  std::atomic<uint64_t> notifications_{0};
  std::atomic<bool> stop_{false};
  std::thread subscriber_;
};

}  // namespace spb
