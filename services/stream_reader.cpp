#include "services/stream_reader.h"

#include <algorithm>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "services/redis_reply.h"
#include "shared/log.h"

namespace sp::services {
namespace {

void FailAll(const std::vector<StreamReader::ReadCallback>& cbs) {
  for (const auto& cb : cbs) cb(false, {}, false);
}

// KEYS: per stream its events key and its epoch key. ARGV: group, consumer,
// count, then per stream the reading session's epoch ("" = no fence).
// A missing epoch key (a Redis that lost its data) is set back to the
// reader's epoch: a session starting later INCRs past it and fences this
// one, and one that started meanwhile holds a different value and does.
// The streams that pass are read with one XREADGROUP, as before the fence:
// per-stream calls cost Redis a third more per event. Only when that call
// fails (NOGROUP: a stream deleted under its session) is each read alone,
// to tell which. Returns per stream with something to say [key, entries],
// [key, "fenced"] or [key, error].
constexpr std::string_view kReadScript =
    "local out, args, n = {}, {}, 0 "
    "for i = 1, #KEYS, 2 do "
    "local want = ARGV[3 + (i + 1) / 2] "
    "local pass = true "
    "if want ~= '' then "
    "local have = redis.call('GET', KEYS[i + 1]) "
    "if not have then redis.call('SET', KEYS[i + 1], want) "
    "elseif have ~= want then pass = false end "
    "end "
    "if pass then n = n + 1 args[n] = KEYS[i] "
    "else out[#out + 1] = {KEYS[i], 'fenced'} end "
    "end "
    "if n == 0 then return out end "
    "for j = 1, n do args[n + j] = '>' end "
    "local r = redis.pcall('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3], "
    "'STREAMS', unpack(args)) "
    "if type(r) == 'table' and r.err then "
    "for j = 1, n do "
    "local one = redis.pcall('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3], "
    "'STREAMS', args[j], '>') "
    "if type(one) == 'table' and one.err then out[#out + 1] = {args[j], one.err} "
    "elseif one then out[#out + 1] = one[1] end "
    "end "
    "elseif r then "
    "for _, stream in ipairs(r) do out[#out + 1] = stream end "
    "end "
    "return out";

}  // namespace

std::string_view StreamReader::ScriptText() {
  return kReadScript;
}

StreamReader::StreamReader(RedisLink& link, const Keys& keys)
    : link_(link), keys_(keys), script_(kReadScript) {}

void StreamReader::Read(const std::string& client, uint64_t epoch, size_t count, ReadCallback cb) {
  std::string key = keys_.Events(client);
  uint32_t shard = link_.BatchShard(key);
  queued_by_count_[{count, shard}].push_back({std::move(key), keys_.Epoch(client),
                                              epoch == 0 ? std::string() : std::to_string(epoch),
                                              std::move(cb)});
  ++queued_;
}

void StreamReader::Flush() {
  if (queued_ == 0) return;
  auto queued = std::move(queued_by_count_);
  queued_by_count_.clear();
  queued_ = 0;
  for (auto& [count_and_shard, requests] : queued) {
    size_t count = count_and_shard.first;
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
    for (Request& repeat : repeats) queued_by_count_[count_and_shard].push_back(std::move(repeat));
  }
}

void StreamReader::Send(std::shared_ptr<Batch> batch, size_t count, bool retried) {
  std::string n = std::to_string(count);
  std::string numkeys = std::to_string(2 * batch->size());
  RedisLink::Argv argv = {numkeys};  // views into *batch, alive until Run() returns
  argv.reserve(1 + 3 * batch->size() + 3);
  for (const Request& request : *batch) {
    argv.push_back(request.key);
    argv.push_back(request.epoch_key);
  }
  argv.insert(argv.end(), {kGroup, kConsumer, n});
  for (const Request& request : *batch) argv.push_back(request.epoch);
  bool sent = script_.Run(link_, argv, [this, batch, count, retried](const redisReply* r) {
    OnReply(batch, count, retried, r);
  });
  if (!sent) {
    for (const Request& request : *batch) request.cb(false, {}, false);
  }
}

void StreamReader::OnReply(const std::shared_ptr<Batch>& batch, size_t count, bool retried,
                           const redisReply* r) {
  if (IsError(r) || r->type != REDIS_REPLY_ARRAY) {
    LogIfError(r, "redis.read_failed");
    std::vector<ReadCallback> cbs;
    for (Request& request : *batch) cbs.push_back(std::move(request.cb));
    FailAll(cbs);
    return;
  }
  // Only streams with something to say appear in the reply, each as
  // [key, entries], [key, "fenced"] or [key, error].
  std::unordered_map<std::string_view, size_t> index;
  index.reserve(batch->size());
  for (size_t i = 0; i < batch->size(); ++i) index.emplace((*batch)[i].key, i);
  std::vector<std::vector<StreamEntry>> found(batch->size());
  std::vector<char> fenced(batch->size(), 0);
  std::vector<char> failed(batch->size(), 0);
  auto regroup = std::make_shared<Batch>();
  for (size_t i = 0; i < r->elements; ++i) {
    const redisReply* stream = r->element[i];
    if (stream->type != REDIS_REPLY_ARRAY || stream->elements != 2) continue;
    auto it = index.find(ReplyText(stream->element[0]));
    if (it == index.end()) continue;
    const redisReply* body = stream->element[1];
    if (body->type == REDIS_REPLY_STRING || body->type == REDIS_REPLY_STATUS ||
        body->type == REDIS_REPLY_ERROR) {
      std::string_view what = ReplyText(body);
      if (what == "fenced") {
        fenced[it->second] = 1;
      } else if (what.substr(0, 7) == "NOGROUP" && !retried) {
        // The stream (and its group) was deleted under a live session:
        // recreate the group and read it again once.
        link_.Command({"XGROUP", "CREATE", (*batch)[it->second].key, kGroup, "0", "MKSTREAM"});
        failed[it->second] = 2;  // read again below
      } else {
        log::Warn("redis.read_failed", {{"error", std::string(what)}});
        failed[it->second] = 1;
      }
      continue;
    }
    if (!ParseEntries(body, &found[it->second])) continue;
    for (StreamEntry& e : found[it->second]) e.delivery_count = 1;
  }
  for (size_t i = 0; i < batch->size(); ++i) {
    if (failed[i] == 2) {
      regroup->push_back(std::move((*batch)[i]));
      continue;
    }
    ReadCallback cb = std::move((*batch)[i].cb);
    if (failed[i] == 1)
      cb(false, {}, false);
    else
      cb(true, std::move(found[i]), fenced[i] != 0);
  }
  if (!regroup->empty()) Send(std::move(regroup), count, true);
}

}  // namespace sp::services
