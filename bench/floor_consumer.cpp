#include "bench/floor_consumer.h"

#include <chrono>

#include "bench/common.h"
#include "bench/redis_scripts.h"

namespace spb {

FloorConsumer::FloorConsumer(std::string redis_url, std::vector<std::string> targets, size_t batch)
    : url_(std::move(redis_url)),
      targets_(std::move(targets)),
      batch_(batch),
      produced_(targets_.size()),
      read_(targets_.size()) {
  for (const std::string& t : targets_) keys_.push_back("sp:{" + t + "}:events");
}

FloorConsumer::~FloorConsumer() {
  stop_ = true;
  if (subscriber_.joinable()) subscriber_.join();
}

void FloorConsumer::Prepare() {
  Redis setup = ConnectRedis(url_);
  for (size_t i = 0; i < targets_.size(); ++i) {
    Append(setup.get(), {"DEL", keys_[i], "sp:{" + targets_[i] + "}:seen"});
    Append(setup.get(), {"XGROUP", "CREATE", keys_[i], "sealpost", "0", "MKSTREAM"});
  }
  for (size_t i = 0; i < 2 * targets_.size(); ++i) NextReply(setup.get());
  Command(setup.get(), {"CONFIG", "SET", "notify-keyspace-events", "Et"});
  subscriber_ = std::thread([this] {
    Redis s = ConnectRedis(url_);
    Command(s.get(), {"SUBSCRIBE", "__keyevent@0__:xadd"});
    timeval tv{0, 200000};
    redisSetTimeout(s.get(), tv);
    while (!stop_) {
      void* r = nullptr;
      if (redisGetReply(s.get(), &r) != REDIS_OK) {
        s->err = 0;  // a read timeout: keep listening
        continue;
      }
      freeReplyObject(r);
      notifications_++;
    }
  });
}

void FloorConsumer::Run(const std::function<bool()>& done) {
  Redis c = ConnectRedis(url_);
  const std::string ack = LoadScript(c.get(), kAckScript);
  const std::string usage = LoadScript(c.get(), kUsageScript);
  const size_t n = targets_.size();
  const std::string count = std::to_string(batch_);
  std::vector<uint64_t> read(n, 0);
  int64_t next_usage = NowNs() + 1000000000;
  while (!done()) {
    std::vector<size_t> asked;
    for (size_t i = 0; i < n; ++i) {
      if (produced_[i].load(std::memory_order_relaxed) <= read[i]) continue;
      Append(c.get(), {"XREADGROUP", "GROUP", "sealpost", targets_[i], "COUNT", count, "STREAMS",
                       keys_[i], ">"});
      asked.push_back(i);
    }
    if (asked.empty()) {
      std::this_thread::sleep_for(std::chrono::microseconds(50));
      continue;
    }
    std::vector<std::pair<size_t, size_t>> batches;  // target, ids
    for (size_t i : asked) {
      Reply r = NextReply(c.get());
      if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 1) continue;
      redisReply* entries = r->element[0]->element[1];
      if (entries->elements == 0) continue;
      std::vector<std::string> argv = {"EVALSHA", ack, "1", keys_[i], "sealpost"};
      for (size_t e = 0; e < entries->elements; ++e)
        argv.emplace_back(entries->element[e]->element[0]->str,
                          entries->element[e]->element[0]->len);
      Append(c.get(), argv);
      batches.emplace_back(i, entries->elements);
      read[i] += entries->elements;
      read_[i].store(read[i], std::memory_order_relaxed);
    }
    bool usage_due = NowNs() >= next_usage;
    if (usage_due) {
      next_usage += 1000000000;
      for (size_t i = 0; i < n; ++i)
        Append(c.get(), {"EVALSHA", usage, "1", "sp:{" + targets_[i] + "}:usage",
                         std::to_string(NowNs() / 1000000), "delivered", "1", "acked", "1",
                         "bytes_out", "300"});
    }
    for (auto [i, k] : batches) {
      Reply r = NextReply(c.get());
      if (r && r->type == REDIS_REPLY_INTEGER) total_acked_.fetch_add(k);
      ++evals_;
    }
    if (usage_due)
      for (size_t i = 0; i < n; ++i) NextReply(c.get());
  }
}

}  // namespace spb
