#include "bench/common.h"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>

namespace spb {

std::string ClientId(const std::string& prefix, size_t index) {
  return prefix + "-" + std::to_string(index);
}

sp::crypto::KeyPair BenchKey(const std::string& prefix, size_t index) {
  std::string seed = "sealpost-bench/" + ClientId(prefix, index);
  uint8_t secret[32];
  crypto_generichash(secret, sizeof secret, reinterpret_cast<const uint8_t*>(seed.data()),
                     seed.size(), nullptr, 0);
  return sp::crypto::KeyPairFromSecret({secret, sizeof secret});
}

bool ParseRedis(const std::string& url, RedisTarget* out) {
  std::string rest = url;
  if (rest.rfind("redis://", 0) == 0) rest = rest.substr(8);
  size_t slash = rest.find('/');
  if (slash != std::string::npos) {
    out->db = std::atoi(rest.c_str() + slash + 1);
    rest = rest.substr(0, slash);
  }
  size_t colon = rest.rfind(':');
  if (colon != std::string::npos) {
    out->port = std::atoi(rest.c_str() + colon + 1);
    rest = rest.substr(0, colon);
  }
  if (!rest.empty()) out->host = rest;
  return out->port > 0 && out->port < 65536;
}

Redis ConnectRedis(const std::string& url) {
  RedisTarget t;
  if (!ParseRedis(url, &t)) {
    std::fprintf(stderr, "sealpost-bench: bad redis url %s\n", url.c_str());
    std::exit(2);
  }
  timeval tv{10, 0};
  Redis c(redisConnectWithTimeout(t.host.c_str(), t.port, tv));
  if (!c || c->err) {
    std::fprintf(stderr, "sealpost-bench: cannot connect to redis %s: %s\n", url.c_str(),
                 c ? c->errstr : "out of memory");
    std::exit(1);
  }
  if (t.db != 0) Command(c.get(), {"SELECT", std::to_string(t.db)});
  return c;
}

void Append(redisContext* c, const std::vector<std::string>& argv) {
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
  ptrs.reserve(argv.size());
  lens.reserve(argv.size());
  for (const auto& a : argv) {
    ptrs.push_back(a.data());
    lens.push_back(a.size());
  }
  redisAppendCommandArgv(c, static_cast<int>(argv.size()), ptrs.data(), lens.data());
}

Reply NextReply(redisContext* c) {
  void* r = nullptr;
  if (redisGetReply(c, &r) != REDIS_OK) {
    std::fprintf(stderr, "sealpost-bench: redis: %s\n", c->errstr);
    std::exit(1);
  }
  return Reply(static_cast<redisReply*>(r));
}

Reply Command(redisContext* c, const std::vector<std::string>& argv) {
  Append(c, argv);
  return NextReply(c);
}

std::string LoadScript(redisContext* c, std::string_view text) {
  Reply r = Command(c, {"SCRIPT", "LOAD", std::string(text)});
  if (!r || r->type != REDIS_REPLY_STRING) {
    std::fprintf(stderr, "sealpost-bench: SCRIPT LOAD failed\n");
    std::exit(1);
  }
  return std::string(r->str, r->len);
}

long long SumXlen(redisContext* c, const std::string& prefix, size_t first, size_t count) {
  for (size_t i = first; i < first + count; ++i)
    Append(c, {"XLEN", "sp:{" + ClientId(prefix, i) + "}:events"});
  long long total = 0;
  for (size_t i = 0; i < count; ++i) {
    Reply r = NextReply(c);
    if (r && r->type == REDIS_REPLY_INTEGER) total += r->integer;
  }
  return total;
}

ToolRedis ConnectToolRedis(const std::string& url) {
  auto c = std::make_unique<sealpost::tools::RedisSync>();
  std::string error;
  if (!c->Connect(url, &error, 10000)) {
    std::fprintf(stderr, "sealpost-bench: redis %s: %s\n", url.c_str(), error.c_str());
    std::exit(1);
  }
  return c;
}

sealpost::tools::Reply NextReply(sealpost::tools::RedisSync* c) {
  sealpost::tools::Reply r = c->Next();
  if (!r) {
    std::fprintf(stderr, "sealpost-bench: redis: %s\n", c->Error().c_str());
    std::exit(1);
  }
  return r;
}

long long SumXlen(sealpost::tools::RedisSync* c, const std::string& prefix, size_t first,
                  size_t count) {
  for (size_t i = first; i < first + count; ++i)
    c->Append({"XLEN", "sp:{" + ClientId(prefix, i) + "}:events"});
  long long total = 0;
  for (size_t i = 0; i < count; ++i) {
    sealpost::tools::Reply r = NextReply(c);
    if (r->type == REDIS_REPLY_INTEGER) total += r->integer;
  }
  return total;
}

std::string Payload(size_t bytes) {
  std::string p(bytes, 'x');
  for (size_t i = 0; i < bytes; ++i) p[i] = static_cast<char>('a' + i % 26);
  return p;
}

}  // namespace spb
