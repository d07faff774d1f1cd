#include "services/lua_script.h"

#include <memory>

#include "services/redis_reply.h"

namespace sp::services {

bool RedisLink::Transaction(const std::vector<Argv>& commands, Callback on_exec) {
  if (!Command({"MULTI"})) return false;
  for (const Argv& argv : commands)
    if (!Command(argv)) return false;
  return Command({"EXEC"}, std::move(on_exec));
}

bool RedisLink::RunScript(LuaScript& script, const Argv& tail, Callback cb) {
  return script.RunOnConnection(*this, tail, std::move(cb));
}

bool LuaScript::RunOnConnection(RedisLink& connection, const RedisLink::Argv& tail,
                                RedisLink::Callback cb) {
  bool by_sha = !sha_.empty() && SentOn(connection);
  RedisLink::Argv argv;
  argv.reserve(tail.size() + 2);
  argv.push_back(by_sha ? "EVALSHA" : "EVAL");
  argv.push_back(by_sha ? std::string_view(sha_) : text_);
  argv.insert(argv.end(), tail.begin(), tail.end());
  bool sent;
  if (by_sha) {
    // The cache was flushed under us (SCRIPT FLUSH): back to EVAL.
    sent = connection.Command(argv, [this, &connection, cb = std::move(cb)](const redisReply* r) {
      if (r != nullptr && r->type == REDIS_REPLY_ERROR && ReplyText(r).substr(0, 8) == "NOSCRIPT")
        ForgetOn(connection);
      if (cb) cb(r);
    });
  } else {
    sent = connection.Command(argv, std::move(cb));
    if (sent) MarkSentOn(connection);
  }
  if (sent) LearnSha(connection);
  return sent;
}

bool LuaScript::SentOn(const RedisLink& connection) const {
  for (const Sent& s : sent_)
    if (s.connection == &connection) return s.generation == connection.Generation();
  return false;
}

void LuaScript::MarkSentOn(const RedisLink& connection) {
  for (Sent& s : sent_) {
    if (s.connection == &connection) {
      s.generation = connection.Generation();
      return;
    }
  }
  sent_.push_back({&connection, connection.Generation()});
}

void LuaScript::ForgetOn(const RedisLink& connection) {
  for (Sent& s : sent_)
    if (s.connection == &connection) s.generation = 0;
}

void LuaScript::LearnSha(RedisLink& connection) {
  if (!sha_.empty() || sha_asked_) return;
  sha_asked_ = true;
  // The script object outlives the link's callbacks (both belong to the
  // long-lived services). A lost reply lets the next call ask again.
  bool sent = connection.Command({"SCRIPT", "LOAD", text_}, [this](const redisReply* r) {
    if (r != nullptr && r->type == REDIS_REPLY_STRING)
      sha_ = std::string(ReplyText(r));
    else
      sha_asked_ = false;
  });
  if (!sent) sha_asked_ = false;
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
