#include "services/stream_reader.h"

#include <algorithm>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "services/redis_reply.h"

namespace sp::services {
namespace {

void FailAll(const std::vector<StreamReader::ReadCallback>& cbs) {
  for (const auto& cb : cbs) cb(false, {});
}

}  // namespace

void StreamReader::Read(const std::string& client, size_t count, ReadCallback cb) {
  queued_by_count_[count].push_back({keys_.Events(client), std::move(cb)});
  ++queued_;
}

void StreamReader::Flush() {
  if (queued_ == 0) return;
  auto queued = std::move(queued_by_count_);
  queued_by_count_.clear();
  queued_ = 0;
  for (auto& [count, requests] : queued) {
    // A key may appear only once per command (its reply names the key, and a
    // second mention would read nothing): a repeat waits for the next batch.
    std::vector<Request> repeats;
    std::shared_ptr<Batch> batch;
    std::unordered_set<std::string_view> in_batch;  // views of keys in *batch
    for (Request& request : requests) {
      if (!batch || batch->size() == kMaxStreams) {
        if (batch) Send(std::move(batch), count, false);
        batch = std::make_shared<Batch>();
        batch->reserve(std::min(kMaxStreams, requests.size()));  // the views stay valid
        in_batch.clear();
      }
      if (in_batch.count(request.key)) {
        repeats.push_back(std::move(request));
        continue;
      }
      batch->push_back(std::move(request));
      in_batch.insert(batch->back().key);
    }
    if (batch && !batch->empty()) Send(std::move(batch), count, false);
    queued_ += repeats.size();
    for (Request& repeat : repeats) queued_by_count_[count].push_back(std::move(repeat));
  }
}

void StreamReader::Send(std::shared_ptr<Batch> batch, size_t count, bool retried) {
  std::string n = std::to_string(count);
  RedisLink::Argv argv = {"XREADGROUP", "GROUP", kGroup, kConsumer, "COUNT", n, "STREAMS"};
  argv.reserve(argv.size() + 2 * batch->size());
  for (const Request& request : *batch) argv.push_back(request.key);
  for (size_t i = 0; i < batch->size(); ++i) argv.push_back(">");
  bool sent = link_.Command(argv, [this, batch, count, retried](const redisReply* r) {
    OnReply(batch, count, retried, r);
  });
  if (!sent) {
    for (const Request& request : *batch) request.cb(false, {});
  }
}

void StreamReader::OnReply(const std::shared_ptr<Batch>& batch, size_t count, bool retried,
                           const redisReply* r) {
  // A stream (and its group) deleted under a live session fails the whole
  // command: recreate the groups (BUSYGROUP for the others) and read again once.
  if (IsNoGroup(r) && !retried) {
    for (const Request& request : *batch)
      link_.Command({"XGROUP", "CREATE", request.key, kGroup, "0", "MKSTREAM"});
    Send(batch, count, true);
    return;
  }
  std::vector<ReadCallback> cbs;
  cbs.reserve(batch->size());
  for (Request& request : *batch) cbs.push_back(std::move(request.cb));
  if (r != nullptr && r->type == REDIS_REPLY_NIL) {  // nothing new in any stream
    for (const auto& cb : cbs) cb(true, {});
    return;
  }
  if (IsError(r) || r->type != REDIS_REPLY_ARRAY) {
    LogIfError(r, "redis.read_failed");
    FailAll(cbs);
    return;
  }
  // Only streams with new entries appear in the reply, each as [key, entries].
  std::unordered_map<std::string_view, size_t> index;
  index.reserve(batch->size());
  for (size_t i = 0; i < batch->size(); ++i) index.emplace((*batch)[i].key, i);
  std::vector<std::vector<StreamEntry>> found(batch->size());
  for (size_t i = 0; i < r->elements; ++i) {
    const redisReply* stream = r->element[i];
    if (stream->type != REDIS_REPLY_ARRAY || stream->elements != 2) continue;
    auto it = index.find(ReplyText(stream->element[0]));
    if (it == index.end() || !ParseEntries(stream->element[1], &found[it->second])) continue;
    for (StreamEntry& e : found[it->second]) e.delivery_count = 1;
  }
  for (size_t i = 0; i < cbs.size(); ++i) cbs[i](true, std::move(found[i]));
}

}  // namespace sp::services
