#include "bench/floor_consumer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string_view>
#include <unordered_map>

#include "bench/common.h"
#include "bench/redis_scripts.h"
#include "services/keys.h"
#include "services/stream_reader.h"

namespace spb {
namespace {

using sp::services::EventStore;
using sp::services::StreamReader;

// One stream's part of an ack call: ids [begin, end) of what the round read.
struct AckPart {
  size_t target;
  const std::vector<std::string>* ids;
  size_t begin;
  size_t end;
};

std::string Text(const redisReply* r) {
  return std::string(r->str, r->len);
}

}  // namespace

FloorConsumer::FloorConsumer(std::string redis_url, std::vector<std::string> targets, size_t batch)
    : url_(std::move(redis_url)),
      targets_(std::move(targets)),
      batch_(batch),
      produced_(targets_.size()),
      read_(targets_.size()),
      acked_(targets_.size()) {
  const sp::services::Keys keys;
  for (const std::string& t : targets_) keys_.push_back(keys.Events(t));
}

FloorConsumer::~FloorConsumer() {
  stop_ = true;
  if (subscriber_.joinable()) subscriber_.join();
}

void FloorConsumer::Prepare() {
  const sp::services::Keys keys;
  const std::string group(sp::services::kGroup);
  Redis setup = ConnectRedis(url_);
  for (size_t i = 0; i < targets_.size(); ++i) {
    Append(setup.get(), {"DEL", keys_[i], keys.Seen(targets_[i])});
    Append(setup.get(), {"XGROUP", "CREATE", keys_[i], group, "0", "MKSTREAM"});
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
  const std::string ack = LoadScript(c.get(), AckScript());
  const std::string usage = LoadScript(c.get(), UsageScript());
  const sp::services::Keys keys;
  const std::string group(sp::services::kGroup);
  const std::string consumer(sp::services::kConsumer);
  const size_t n = targets_.size();
  const std::string count = std::to_string(batch_);
  std::unordered_map<std::string_view, size_t> index;  // events key -> target
  for (size_t i = 0; i < n; ++i) index.emplace(keys_[i], i);
  std::vector<uint64_t> read(n, 0);
  std::vector<size_t> asked;
  std::vector<std::pair<size_t, std::vector<std::string>>> got;  // target, ids read
  std::vector<std::vector<AckPart>> calls;
  bool warned = false;
  int64_t next_usage = NowNs() + 1000000000;
  while (!done()) {
    asked.clear();
    for (size_t i = 0; i < n; ++i)
      if (produced_[i].load(std::memory_order_relaxed) > read[i]) asked.push_back(i);
    if (asked.empty()) {
      std::this_thread::sleep_for(std::chrono::microseconds(50));
      continue;
    }
    // The reads of the round: one XREADGROUP per kMaxStreams streams with news.
    size_t commands = 0;
    for (size_t s = 0; s < asked.size(); s += StreamReader::kMaxStreams) {
      size_t end = std::min(asked.size(), s + StreamReader::kMaxStreams);
      std::vector<std::string> argv = {"XREADGROUP", "GROUP", group,    consumer,
                                       "COUNT",      count,   "STREAMS"};
      for (size_t k = s; k < end; ++k) argv.push_back(keys_[asked[k]]);
      argv.insert(argv.end(), end - s, ">");
      Append(c.get(), argv);
      ++commands;
    }
    read_calls_ += commands;
    got.clear();
    for (size_t k = 0; k < commands; ++k) {
      Reply r = NextReply(c.get());
      // nil: nothing new in any of the command's streams. Otherwise only the
      // streams with new entries, each as [key, entries].
      if (!r || r->type != REDIS_REPLY_ARRAY) continue;
      for (size_t e = 0; e < r->elements; ++e) {
        const redisReply* stream = r->element[e];
        if (stream->type != REDIS_REPLY_ARRAY || stream->elements != 2) continue;
        auto it = index.find(std::string_view(stream->element[0]->str, stream->element[0]->len));
        const redisReply* entries = stream->element[1];
        if (it == index.end() || entries->elements == 0) continue;
        std::vector<std::string> ids;
        ids.reserve(entries->elements);
        for (size_t x = 0; x < entries->elements; ++x)
          ids.push_back(Text(entries->element[x]->element[0]));
        size_t i = it->second;
        read[i] += ids.size();
        read_[i].store(read[i], std::memory_order_relaxed);
        got.emplace_back(i, std::move(ids));
      }
    }
    batches_ += got.size();
    // The acks of the round as EventStore::Flush sends them: across streams,
    // at most kAcksPerKey ids of a stream per part, kAcksPerCall per call.
    calls.clear();
    size_t in_call = 0;
    for (const auto& [i, ids] : got) {
      for (size_t b = 0; b < ids.size(); b += EventStore::kAcksPerKey) {
        size_t e = std::min(ids.size(), b + EventStore::kAcksPerKey);
        if (calls.empty() || (in_call + (e - b) > EventStore::kAcksPerCall && in_call > 0)) {
          calls.emplace_back();
          in_call = 0;
        }
        calls.back().push_back({i, &ids, b, e});
        in_call += e - b;
      }
    }
    for (const auto& call : calls) {
      std::vector<std::string> argv = {"EVALSHA", ack, std::to_string(call.size())};
      for (const AckPart& p : call) argv.push_back(keys_[p.target]);
      argv.push_back(group);
      for (const AckPart& p : call) {
        argv.push_back(std::to_string(p.end - p.begin));
        argv.insert(argv.end(), p.ids->begin() + static_cast<std::ptrdiff_t>(p.begin),
                    p.ids->begin() + static_cast<std::ptrdiff_t>(p.end));
      }
      Append(c.get(), argv);
    }
    // Once a second, every target's usage, 256 hashes per call as the server sends them.
    bool usage_due = NowNs() >= next_usage;
    size_t usage_calls = 0;
    if (usage_due) {
      next_usage += 1000000000;
      std::string now_ms = std::to_string(NowNs() / 1000000);
      for (size_t first = 0; first < n; first += 256, ++usage_calls) {
        size_t end = std::min(n, first + 256);
        std::vector<std::string> argv = {"EVALSHA", usage, std::to_string(end - first)};
        for (size_t i = first; i < end; ++i) argv.push_back(keys.Usage(targets_[i]));
        for (size_t i = first; i < end; ++i)
          argv.insert(argv.end(),
                      {now_ms, "3", "delivered", "1", "acked", "1", "bytes_out", "300"});
        Append(c.get(), argv);
      }
    }
    for (const auto& call : calls) {
      Reply r = NextReply(c.get());
      ++ack_calls_;
      // The script returns how many streams refused; their ids stay unacked.
      if (!r || r->type != REDIS_REPLY_INTEGER || r->integer != 0) {
        if (!warned)
          std::fprintf(stderr, "sealpost-bench: ack call failed or refused: %s\n",
                       r && r->type == REDIS_REPLY_ERROR ? r->str : "streams refused");
        warned = true;
        continue;
      }
      for (const AckPart& p : call) {
        acked_[p.target].fetch_add(p.end - p.begin, std::memory_order_relaxed);
        total_acked_.fetch_add(p.end - p.begin);
      }
    }
    for (size_t i = 0; i < usage_calls; ++i) NextReply(c.get());
  }
}

}  // namespace spb
