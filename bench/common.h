// Shared helpers of sealpost-bench: deterministic bench identities and a
// blocking Redis connection (clocks and latency summaries: bench/measure.h).
#pragma once

#include <hiredis/hiredis.h>

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "bench/measure.h"
#include "client/redis_sync.h"
#include "crypto/keys.h"

namespace spb {

inline double NowSec() {
  return static_cast<double>(NowNs()) / 1e9;
}

// Client ids and static keys are derived from (prefix, index) so that the
// provisioning run and every generator process agree without sharing files.
std::string ClientId(const std::string& prefix, size_t index);
sp::crypto::KeyPair BenchKey(const std::string& prefix, size_t index);

struct RedisTarget {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
};
// redis://host:port[/db]
bool ParseRedis(const std::string& url, RedisTarget* out);

struct ReplyFree {
  void operator()(redisReply* r) const {
    if (r) freeReplyObject(r);
  }
};
using Reply = std::unique_ptr<redisReply, ReplyFree>;
struct ContextFree {
  void operator()(redisContext* c) const {
    if (c) redisFree(c);
  }
};
using Redis = std::unique_ptr<redisContext, ContextFree>;

// Connects and selects the database; exits the process on failure (bench tools).
Redis ConnectRedis(const std::string& url);
Reply Command(redisContext* c, const std::vector<std::string>& argv);
void Append(redisContext* c, const std::vector<std::string>& argv);
Reply NextReply(redisContext* c);
// SCRIPT LOAD: the script's SHA1 for EVALSHA (as sealpost-server's
// services/lua_script.h, once per connection); exits the process on failure.
std::string LoadScript(redisContext* c, std::string_view text);

// Sum of XLEN over the events streams of clients [first, first+count).
long long SumXlen(redisContext* c, const std::string& prefix, size_t first, size_t count);

// The tools' blocking connection (client/redis_sync.h): also takes
// redis+cluster://host:port[,host:port...] and then sends each command to the
// node holding its key (follows MOVED/ASK; pipelined replies stay in order).
// Used by provision and the flow's producer; exits the process on failure.
using ToolRedis = std::unique_ptr<sealpost::tools::RedisSync>;
ToolRedis ConnectToolRedis(const std::string& url);
// The next pipelined reply; exits the process when the connection failed.
sealpost::tools::Reply NextReply(sealpost::tools::RedisSync* c);
long long SumXlen(sealpost::tools::RedisSync* c, const std::string& prefix, size_t first,
                  size_t count);

// A payload of `bytes` printable characters.
std::string Payload(size_t bytes);

}  // namespace spb
