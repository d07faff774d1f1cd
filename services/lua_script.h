// A Lua script called by its SHA1 (EVALSHA) once the Redis behind a link
// knows it, so its text (often larger than the call's own data: a group
// message is one call per member) crosses the link once per connection
// instead of once per call.
//
// Until the SHA1 is known on the current connection of the link, calls go
// as EVAL (which also caches the script in Redis) and one SCRIPT LOAD asks
// for the SHA1. Calls on one connection therefore stay in order: EVALs
// before, EVALSHAs after, never a retry that overtakes. A reconnect starts
// over (a restarted Redis has an empty script cache). If the cache is
// flushed under a live connection (SCRIPT FLUSH), the calls already sent fail
// with NOSCRIPT, which callers treat as the transient Redis error it is
// (IsTransientRedisError: retried later, so their order may change), and
// the following ones go as EVAL until the script is loaded again.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "services/redis_link.h"

namespace sp::services {

class LuaScript {
 public:
  explicit LuaScript(std::string_view text) : text_(text) {}
  LuaScript(const LuaScript&) = delete;
  LuaScript& operator=(const LuaScript&) = delete;

  // `tail` is numkeys, the keys, then the arguments. False when the link is
  // down (cb not called), as RedisLink::Command.
  bool Run(RedisLink& link, const RedisLink::Argv& tail, RedisLink::Callback cb);

  std::string_view Text() const { return text_; }

 private:
  std::string_view text_;
  std::string sha_;  // valid on connection `sha_generation_` of the link
  uint64_t sha_generation_ = 0;
  uint64_t loading_generation_ = 0;  // SCRIPT LOAD sent on this connection
};

// Errors after which the same command may succeed later (Redis loading,
// busy, out of memory, a failover, a flushed script cache).
bool IsTransientRedisError(const redisReply* r);

}  // namespace sp::services
