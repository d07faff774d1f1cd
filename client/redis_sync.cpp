#include "client/redis_sync.h"

#include <algorithm>
#include <cstdlib>

#include "services/cluster_slots.h"
#include "services/redis_endpoint.h"

namespace sealpost::tools {

RedisSync::~RedisSync() {
  CloseAll();
}

void RedisSync::CloseAll() {
  if (ctx_) redisFree(ctx_);
  ctx_ = nullptr;
  for (auto* pool : {&nodes_, &redirect_nodes_}) {
    for (auto& [address, ctx] : *pool) redisFree(ctx);
    pool->clear();
  }
  last_ctx_ = nullptr;
  appended_to_.clear();
  slot_owner_.clear();
  queued_.clear();
}

redisContext* RedisSync::Open(const std::string& host, int port, std::string* error) {
  timeval tv{timeout_ms_ / 1000, (timeout_ms_ % 1000) * 1000};
  redisContext* ctx = redisConnectWithTimeout(host.c_str(), port, tv);
  std::string where = host + ":" + std::to_string(port);
  if (ctx == nullptr || ctx->err) {
    *error = "cannot connect to Redis at " + where + ": " + (ctx ? ctx->errstr : "out of memory");
    if (ctx) redisFree(ctx);
    return nullptr;
  }
  redisSetTimeout(ctx, tv);
  auto run = [ctx](const std::vector<std::string>& argv) {
    std::vector<const char*> ptrs;
    std::vector<size_t> lens;
    for (const auto& a : argv) ptrs.push_back(a.data()), lens.push_back(a.size());
    return Reply(static_cast<redisReply*>(
        redisCommandArgv(ctx, static_cast<int>(argv.size()), ptrs.data(), lens.data())));
  };
  if (!password_.empty()) {
    std::vector<std::string> auth = {"AUTH"};
    if (!username_.empty()) auth.push_back(username_);
    auth.push_back(password_);
    Reply r = run(auth);
    if (!r || IsError(r.get())) {
      *error = "Redis authentication failed at " + where;
      redisFree(ctx);
      return nullptr;
    }
  }
  if (db_ != 0) {
    Reply r = run({"SELECT", std::to_string(db_)});
    if (!r || IsError(r.get())) {
      *error = "Redis SELECT " + std::to_string(db_) + " failed: " + std::string(Text(r.get()));
      redisFree(ctx);
      return nullptr;
    }
  }
  return ctx;
}

bool RedisSync::Connect(std::string_view url, const std::string& password_file, std::string* error,
                        int timeout_ms) {
  sp::services::RedisEndpoint ep;
  if (!sp::services::ParseRedisUrl(url, &ep, error)) {
    *error = "bad Redis URL: " + *error;
    return false;
  }
  if (!password_file.empty() && !sp::services::ReadRedisPasswordFile(password_file, &ep, error))
    return false;
  CloseAll();
  timeout_ms_ = timeout_ms;
  username_ = ep.username;
  password_ = ep.password;
  db_ = ep.db;
  cluster_ = ep.topology == sp::services::RedisTopology::kCluster;
  std::vector<sp::services::RedisAddress> candidates = ep.seeds;
  if (ep.topology == sp::services::RedisTopology::kSentinel) {
    // Ask each sentinel in turn (no AUTH: the password is the data nodes').
    candidates.clear();
    timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    for (const auto& sentinel : ep.seeds) {
      redisContext* s = redisConnectWithTimeout(sentinel.host.c_str(), sentinel.port, tv);
      if (s != nullptr && s->err == 0) {
        redisSetTimeout(s, tv);
        Reply r(
            static_cast<redisReply*>(redisCommand(s, "SENTINEL get-master-addr-by-name %b",
                                                  ep.master_name.data(), ep.master_name.size())));
        if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
          sp::services::RedisAddress primary;
          primary.host = std::string(Text(r->element[0]));
          primary.port = std::atoi(std::string(Text(r->element[1])).c_str());
          candidates.push_back(primary);
        }
      }
      if (s) redisFree(s);
      if (!candidates.empty()) break;
    }
    if (candidates.empty()) {
      *error = "no sentinel of " + sp::services::RedactedUrl(ep) + " named a primary for " +
               ep.master_name;
      return false;
    }
  }
  for (const auto& address : candidates) {
    ctx_ = Open(address.host, address.port, error);
    if (ctx_) return true;
  }
  return false;
}

void RedisSync::SetTimeout(int timeout_ms) {
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  if (ctx_) redisSetTimeout(ctx_, tv);
}

namespace {
struct ArgvView {
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
  explicit ArgvView(const std::vector<std::string>& argv) {
    for (const auto& a : argv) {
      ptrs.push_back(a.data());
      lens.push_back(a.size());
    }
  }
};
}  // namespace

Reply RedisSync::Command(const std::vector<std::string>& argv) {
  redirected_ = nullptr;
  redisContext* ctx = ContextFor(argv);
  if (ctx == nullptr) return nullptr;
  ArgvView v(argv);
  Reply reply(static_cast<redisReply*>(
      redisCommandArgv(ctx, static_cast<int>(argv.size()), v.ptrs.data(), v.lens.data())));
  return FollowRedirects(std::move(reply), argv);
}

void RedisSync::Append(const std::vector<std::string>& argv) {
  redisContext* ctx = ContextFor(argv);
  if (ctx == nullptr) return;
  ArgvView v(argv);
  redisAppendCommandArgv(ctx, static_cast<int>(argv.size()), v.ptrs.data(), v.lens.data());
  if (cluster_) queued_.push_back({ctx, argv});
  if (std::find(appended_to_.begin(), appended_to_.end(), ctx) == appended_to_.end())
    appended_to_.push_back(ctx);
}

size_t RedisSync::AppendToEach(const std::vector<std::string>& argv) {
  ArgvView v(argv);
  size_t n = 0;
  for (redisContext* ctx : appended_to_) {
    redisAppendCommandArgv(ctx, static_cast<int>(argv.size()), v.ptrs.data(), v.lens.data());
    if (cluster_) queued_.push_back({ctx, argv});
    ++n;
  }
  appended_to_.clear();
  return n;
}

Reply RedisSync::Next() {
  void* reply = nullptr;
  if (!cluster_) {
    if (ctx_ == nullptr) return nullptr;
    if (redisGetReply(ctx_, &reply) != REDIS_OK) return nullptr;
    return Reply(static_cast<redisReply*>(reply));
  }
  // Replies in the order the commands were appended, whichever node each went to.
  if (queued_.empty()) return nullptr;
  Queued next = std::move(queued_.front());
  queued_.pop_front();
  if (redisGetReply(next.ctx, &reply) != REDIS_OK) return nullptr;
  std::vector<std::string_view> views(next.argv.begin(), next.argv.end());
  bool keyless = !sp::services::CommandKey(views);
  redisContext* redirected = redirected_;
  redirected_ = nullptr;
  if (keyless && redirected != nullptr && redirected != next.ctx) {
    // The keyed command before it was redirected: a WAIT must count the
    // replicas of the node that took the write, so it goes there again.
    freeReplyObject(reply);
    ArgvView v(next.argv);
    return Reply(static_cast<redisReply*>(redisCommandArgv(
        redirected, static_cast<int>(next.argv.size()), v.ptrs.data(), v.lens.data())));
  }
  return FollowRedirects(Reply(static_cast<redisReply*>(reply)), next.argv);
}

redisContext* RedisSync::ContextFor(const std::vector<std::string>& argv) {
  if (!cluster_ || ctx_ == nullptr) return ctx_;
  std::vector<std::string_view> views(argv.begin(), argv.end());
  auto key = sp::services::CommandKey(views);
  // No key (WAIT, PING, ...): the connection of the command before, so that
  // WAIT counts the replicas of the write it follows.
  if (!key) return last_ctx_ ? last_ctx_ : ctx_;
  auto owner = slot_owner_.find(sp::services::KeySlot(*key));
  redisContext* ctx = owner == slot_owner_.end() ? nullptr : NodeAt(owner->second, &nodes_);
  last_ctx_ = ctx ? ctx : ctx_;
  return last_ctx_;
}

redisContext* RedisSync::NodeAt(const std::string& address,
                                std::map<std::string, redisContext*>* pool) {
  auto it = pool->find(address);
  if (it != pool->end()) return it->second;
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) return nullptr;
  std::string error;
  redisContext* ctx =
      Open(address.substr(0, colon), std::atoi(address.c_str() + colon + 1), &error);
  if (ctx) pool->emplace(address, ctx);
  return ctx;
}

Reply RedisSync::FollowRedirects(Reply reply, const std::vector<std::string>& argv) {
  // "MOVED <slot> <host>:<port>" / "ASK <slot> <host>:<port>"; a few hops at most.
  for (int hop = 0; hop < 5 && cluster_ && reply && reply->type == REDIS_REPLY_ERROR; ++hop) {
    std::string text(Text(reply.get()));
    bool moved = text.rfind("MOVED ", 0) == 0;
    bool ask = text.rfind("ASK ", 0) == 0;
    if (!moved && !ask) break;
    size_t first = text.find(' ');
    size_t second = text.find(' ', first + 1);
    if (second == std::string::npos) break;
    int slot = std::atoi(text.c_str() + first + 1);
    std::string address = text.substr(second + 1);
    // A connection of its own per node for redirected commands: one that
    // Append() uses may have pipelined replies still unread, and a command
    // sent on it now would read one of those as its own.
    redisContext* ctx = NodeAt(address, &redirect_nodes_);
    if (ctx == nullptr) break;
    if (moved) slot_owner_[slot] = address;
    if (ask) Reply(static_cast<redisReply*>(redisCommand(ctx, "ASKING")));
    redirected_ = ctx;
    ArgvView v(argv);
    reply = Reply(static_cast<redisReply*>(
        redisCommandArgv(ctx, static_cast<int>(argv.size()), v.ptrs.data(), v.lens.data())));
  }
  return reply;
}

std::string RedisSync::Error() const {
  if (ctx_ == nullptr) return "not connected";
  return ctx_->err ? ctx_->errstr : "no reply";
}

std::string_view Text(const redisReply* r) {
  if (r == nullptr) return {};
  if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS &&
      r->type != REDIS_REPLY_ERROR) {
    return {};
  }
  return {r->str, r->len};
}

bool IsError(const redisReply* r) {
  return r == nullptr || r->type == REDIS_REPLY_ERROR;
}

}  // namespace sealpost::tools
