#include "client/redis_sync.h"

#include "services/redis_endpoint.h"

namespace sealpost::tools {

RedisSync::~RedisSync() {
  if (ctx_) redisFree(ctx_);
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
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  if (ctx_) redisFree(ctx_);
  ctx_ = redisConnectWithTimeout(ep.host.c_str(), ep.port, tv);
  std::string where = sp::services::RedactedUrl(ep);
  if (ctx_ == nullptr || ctx_->err) {
    *error = "cannot connect to Redis at " + where + ": " + (ctx_ ? ctx_->errstr : "out of memory");
    return false;
  }
  redisSetTimeout(ctx_, tv);
  if (!ep.password.empty()) {
    std::vector<std::string> auth = {"AUTH"};
    if (!ep.username.empty()) auth.push_back(ep.username);
    auth.push_back(ep.password);
    Reply r = Command(auth);
    if (!r || IsError(r.get())) {
      *error = "Redis authentication failed at " + where;
      return false;
    }
  }
  if (ep.db != 0) {
    Reply r = Command({"SELECT", std::to_string(ep.db)});
    if (!r || IsError(r.get())) {
      *error = "Redis SELECT " + std::to_string(ep.db) + " failed: " + std::string(Text(r.get()));
      return false;
    }
  }
  return true;
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
  if (ctx_ == nullptr) return nullptr;
  ArgvView v(argv);
  return Reply(static_cast<redisReply*>(
      redisCommandArgv(ctx_, static_cast<int>(argv.size()), v.ptrs.data(), v.lens.data())));
}

void RedisSync::Append(const std::vector<std::string>& argv) {
  if (ctx_ == nullptr) return;
  ArgvView v(argv);
  redisAppendCommandArgv(ctx_, static_cast<int>(argv.size()), v.ptrs.data(), v.lens.data());
}

Reply RedisSync::Next() {
  void* reply = nullptr;
  if (ctx_ == nullptr) return nullptr;
  if (redisGetReply(ctx_, &reply) != REDIS_OK) return nullptr;
  return Reply(static_cast<redisReply*>(reply));
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
