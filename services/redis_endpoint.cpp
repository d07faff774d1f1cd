#include "services/redis_endpoint.h"

#include <cctype>
#include <charconv>
#include <fstream>

namespace sp::services {
namespace {

bool ParseInt(std::string_view text, int* out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

// host[:port]; an empty host keeps the default.
bool ParseAddress(std::string_view text, RedisAddress* out, std::string* error) {
  RedisAddress address;
  if (size_t colon = text.rfind(':'); colon != std::string_view::npos) {
    if (!ParseInt(text.substr(colon + 1), &address.port) || address.port <= 0 ||
        address.port > 65535) {
      *error = "Redis URL has a bad port";
      return false;
    }
    text = text.substr(0, colon);
  }
  if (!text.empty()) address.host = std::string(text);
  *out = std::move(address);
  return true;
}

bool ParseDb(std::string_view text, int* db, std::string* error) {
  if (!text.empty() && (!ParseInt(text, db) || *db < 0)) {
    *error = "Redis URL has a bad database number";
    return false;
  }
  return true;
}

bool IsMasterName(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
      return false;
  return true;
}

}  // namespace

bool ParseRedisUrl(std::string_view url, RedisEndpoint* out, std::string* error) {
  RedisEndpoint ep;
  std::string_view rest;
  constexpr std::string_view kSchemes[] = {"redis://", "redis+cluster://", "redis+sentinel://"};
  constexpr RedisTopology kTopologies[] = {RedisTopology::kSingle, RedisTopology::kCluster,
                                           RedisTopology::kSentinel};
  bool known = false;
  for (size_t i = 0; i < 3 && !known; ++i) {
    if (url.substr(0, kSchemes[i].size()) == kSchemes[i]) {
      known = true;
      ep.topology = kTopologies[i];
      rest = url.substr(kSchemes[i].size());
    }
  }
  if (!known) {
    *error = "Redis URL must start with redis://, redis+cluster:// or redis+sentinel://";
    return false;
  }
  // The password may hold '/' and '@': the last '@' ends it.
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view auth = rest.substr(0, at);
    rest = rest.substr(at + 1);
    size_t colon = auth.find(':');
    if (colon == std::string_view::npos) {
      ep.password = std::string(auth);
    } else {
      ep.username = std::string(auth.substr(0, colon));
      ep.password = std::string(auth.substr(colon + 1));
    }
  }
  std::string_view path;
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
    path = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  switch (ep.topology) {
    case RedisTopology::kSingle:
      if (!ParseDb(path, &ep.db, error)) return false;
      break;
    case RedisTopology::kCluster:
      if (!path.empty() && path != "0") {
        *error = "Redis Cluster has database 0 only";
        return false;
      }
      break;
    case RedisTopology::kSentinel: {
      std::string_view name = path.substr(0, path.find('/'));
      if (!IsMasterName(name)) {
        *error = "redis+sentinel:// needs /<master-name> (letters, digits, - _ .)";
        return false;
      }
      ep.master_name = std::string(name);
      if (name.size() < path.size() && !ParseDb(path.substr(name.size() + 1), &ep.db, error))
        return false;
      break;
    }
  }
  while (true) {
    size_t comma = rest.find(',');
    RedisAddress address;
    if (!ParseAddress(rest.substr(0, comma), &address, error)) return false;
    if (ep.topology == RedisTopology::kSingle && comma != std::string_view::npos) {
      *error =
          "Redis URL has a bad port (a list of servers needs redis+cluster:// or "
          "redis+sentinel://)";
      return false;
    }
    ep.seeds.push_back(std::move(address));
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  ep.host = ep.seeds.front().host;
  ep.port = ep.seeds.front().port;
  *out = std::move(ep);
  return true;
}

std::string RedactedUrl(const RedisEndpoint& ep) {
  std::string url = ep.topology == RedisTopology::kCluster    ? "redis+cluster://"
                    : ep.topology == RedisTopology::kSentinel ? "redis+sentinel://"
                                                              : "redis://";
  if (!ep.password.empty()) url.append(ep.username).append(":***@");
  if (ep.seeds.empty()) {
    url.append(ep.host).append(":").append(std::to_string(ep.port));
  } else {
    for (size_t i = 0; i < ep.seeds.size(); ++i) {
      if (i > 0) url.push_back(',');
      url.append(ep.seeds[i].host).append(":").append(std::to_string(ep.seeds[i].port));
    }
  }
  if (ep.topology == RedisTopology::kSentinel) url.append("/").append(ep.master_name);
  if (ep.topology != RedisTopology::kCluster) url.append("/").append(std::to_string(ep.db));
  return url;
}

bool ReadRedisPasswordFile(const std::string& path, RedisEndpoint* endpoint, std::string* error) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) {
    *error = std::string("cannot read the Redis password file ").append(path);
    return false;
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) {
    *error = std::string("the Redis password file ").append(path).append(" is empty");
    return false;
  }
  endpoint->password = std::move(line);
  return true;
}

RedisEndpoint EndpointAt(const RedisEndpoint& base, const RedisAddress& address) {
  RedisEndpoint ep;
  ep.host = address.host;
  ep.port = address.port;
  ep.seeds = {address};
  ep.password = base.password;
  ep.username = base.username;
  ep.db = base.db;
  return ep;
}

}  // namespace sp::services
