// A Lua script called by its SHA1 (EVALSHA) once the Redis behind a link
// knows it, so its text (often larger than the call's own data: a group
// message is one call per member) crosses the link once per connection
// instead of once per call.
//
// Until a connection has seen the script, calls on it go as EVAL (which
// also caches the script in Redis), and one SCRIPT LOAD asks for the SHA1.
// Calls on one connection therefore stay in order: EVALs before, EVALSHAs
// after, never a retry that overtakes. A reconnect starts
// over (a restarted Redis has an empty script cache). If the cache is
// flushed under a live connection (SCRIPT FLUSH), the calls already sent fail
// with NOSCRIPT, which callers treat as the transient Redis error it is
// (IsTransientRedisError: retried later, so their order may change), and
// the following ones go as EVAL until the script is loaded again.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "services/redis_link.h"

namespace sp::services {

class LuaScript {
 public:
  explicit LuaScript(std::string_view text) : text_(text) {}
  LuaScript(const LuaScript&) = delete;
  LuaScript& operator=(const LuaScript&) = delete;

  // `tail` is numkeys, the keys, then the arguments. False when the link is
  // down (cb not called), as RedisLink::Command. The link picks the server.
  bool Run(RedisLink& link, const RedisLink::Argv& tail, RedisLink::Callback cb) {
    return link.RunScript(*this, tail, std::move(cb));
  }
  // Runs on `connection`, one connection to one server (what RunScript does
  // by default): EVALSHA once this connection has seen the script, else EVAL.
  bool RunOnConnection(RedisLink& connection, const RedisLink::Argv& tail, RedisLink::Callback cb);

  std::string_view Text() const { return text_; }
  // The SHA1 Redis names the script by, once a SCRIPT LOAD said ("" before).
  const std::string& Sha() const { return sha_; }
  // Whether an EVAL (or SCRIPT LOAD) of this script already went out on the
  // current connection of `connection`: then EVALSHA finds it. A cluster
  // link keeps one connection per primary, hence per-connection records.
  bool SentOn(const RedisLink& connection) const;
  void MarkSentOn(const RedisLink& connection);
  void ForgetOn(const RedisLink& connection);
  // Sends SCRIPT LOAD on `connection` unless the SHA1 is known or asked for.
  void LearnSha(RedisLink& connection);

 private:
  struct Sent {
    const RedisLink* connection;
    uint64_t generation;
  };
  std::string_view text_;
  std::string sha_;  // the same on every server: SHA1 of the text
  bool sha_asked_ = false;
  std::vector<Sent> sent_;  // a handful: one per primary
};

// Errors after which the same command may succeed later (Redis loading,
// busy, out of memory, a failover, a flushed script cache).
bool IsTransientRedisError(const redisReply* r);

}  // namespace sp::services
