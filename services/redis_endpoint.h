// Where Redis is and how to log in: parsed from --redis. Three topologies:
//   redis://[[user]:password@]host[:port][/db]                 one server
//   redis+cluster://[[user]:password@]host:port[,host:port...] a Redis Cluster
//       (any reachable nodes; the rest is learnt from CLUSTER SLOTS; db 0 only)
//   redis+sentinel://[[user]:password@]host:port[,host:port...]/<master>[/db]
//       the primary the sentinels name <master>; the password is the data
//       nodes' (sentinels are asked without one)
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sp::services {

enum class RedisTopology { kSingle, kCluster, kSentinel };

struct RedisAddress {
  std::string host = "127.0.0.1";
  int port = 6379;
  bool operator==(const RedisAddress&) const = default;
};

struct RedisEndpoint {
  RedisTopology topology = RedisTopology::kSingle;
  // The server (single), or the first of `seeds`.
  std::string host = "127.0.0.1";
  int port = 6379;
  // Cluster nodes or sentinels as given, in order (one entry for a single server).
  std::vector<RedisAddress> seeds;
  std::string master_name;  // sentinel only
  std::string password;     // never logged
  std::string username;     // Redis 6 ACL user; empty = default user
  int db = 0;
  // Sentinels take no AUTH for the data nodes' password and no SELECT.
  bool is_sentinel = false;
};

// False with a reason on bad input; `out` is left alone then.
[[nodiscard]] bool ParseRedisUrl(std::string_view url, RedisEndpoint* out, std::string* error);
// The URL with any password replaced by "***", for logs.
std::string RedactedUrl(const RedisEndpoint& endpoint);
// Sets endpoint->password to the first line of `path` (a trailing CR is
// dropped). A file readable only by the service keeps the password out of
// URLs, command lines and container configuration. False with a reason (the
// file's name, never its content) when it cannot be read or is empty.
[[nodiscard]] bool ReadRedisPasswordFile(const std::string& path, RedisEndpoint* endpoint,
                                         std::string* error);
// The same credentials and database at another address (a cluster primary,
// the primary a sentinel names).
RedisEndpoint EndpointAt(const RedisEndpoint& base, const RedisAddress& address);

}  // namespace sp::services
