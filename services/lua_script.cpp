#include "services/lua_script.h"

#include <memory>

#include "services/redis_reply.h"

namespace sp::services {

bool LuaScript::Run(RedisLink& link, const RedisLink::Argv& tail, RedisLink::Callback cb) {
  uint64_t generation = link.Generation();
  bool by_sha = !sha_.empty() && sha_generation_ == generation;
  RedisLink::Argv argv;
  argv.reserve(tail.size() + 2);
  argv.push_back(by_sha ? "EVALSHA" : "EVAL");
  argv.push_back(by_sha ? std::string_view(sha_) : text_);
  argv.insert(argv.end(), tail.begin(), tail.end());
  bool sent;
  if (by_sha) {
    // The cache was flushed under us (SCRIPT FLUSH): back to EVAL, and load again.
    sent = link.Command(argv, [this, cb = std::move(cb)](const redisReply* r) {
      if (r != nullptr && r->type == REDIS_REPLY_ERROR && ReplyText(r).substr(0, 8) == "NOSCRIPT") {
        sha_.clear();
        loading_generation_ = 0;
      }
      if (cb) cb(r);
    });
  } else {
    sent = link.Command(argv, std::move(cb));
  }
  if (sent && !by_sha && loading_generation_ != generation) {
    loading_generation_ = generation;
    // The script object outlives the link's callbacks (both belong to the
    // long-lived services); a reply of nullptr (link lost) changes nothing.
    link.Command({"SCRIPT", "LOAD", text_}, [this, generation](const redisReply* r) {
      if (r == nullptr || r->type != REDIS_REPLY_STRING) return;
      sha_ = std::string(ReplyText(r));
      sha_generation_ = generation;
    });
  }
  return sent;
}

bool IsTransientRedisError(const redisReply* r) {
  if (r == nullptr || r->type != REDIS_REPLY_ERROR) return false;
  std::string_view text = ReplyText(r);
  for (std::string_view prefix : {"LOADING", "BUSY", "OOM", "TRYAGAIN", "MASTERDOWN", "NOSCRIPT"}) {
    if (text.substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

}  // namespace sp::services
