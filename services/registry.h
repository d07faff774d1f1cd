// sp:{ID}:client: the registered public key of each client, written by
// operators (`sealpost provision`), read at every handshake.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "services/keys.h"
#include "services/redis_link.h"

namespace sp::services {

// A client's own inbound quota (fields quota_events_per_s, quota_bytes_per_s,
// quota_events_per_day, quota_bytes_per_day of sp:{ID}:client); -1 where the
// record leaves the server's default, 0 for "no limit".
struct QuotaOverrides {
  int64_t events_per_s = -1;
  int64_t bytes_per_s = -1;
  int64_t events_per_day = -1;
  int64_t bytes_per_day = -1;
  bool Any() const {
    return events_per_s >= 0 || bytes_per_s >= 0 || events_per_day >= 0 || bytes_per_day >= 0;
  }
};

struct ClientRecord {
  enum class Status : uint8_t { Found, NotFound, Unavailable };
  Status status = Status::Unavailable;
  std::string pk;  // base64 public key
  bool disabled = false;
  QuotaOverrides quota;
  // Fields "direct" and "groups" (docs/PROTOCOL.md §6); empty: the server's default.
  std::string direct_policy;
  std::string group_policy;
};

// The fields Lookup reads, in this order (HMGET); the session start script
// reads the same ones (services/session_start.cpp).
constexpr const char* kClientRecordFields[] = {"pk",
                                               "disabled",
                                               "quota_events_per_s",
                                               "quota_bytes_per_s",
                                               "quota_events_per_day",
                                               "quota_bytes_per_day",
                                               "direct",
                                               "groups"};

// Builds the record from an HMGET reply of kClientRecordFields (Unavailable
// when the reply is an error or has another shape; NotFound without a key).
ClientRecord ParseClientRecord(const redisReply* hmget);

class Registry {
 public:
  using Callback = std::function<void(ClientRecord record)>;
  Registry(RedisLink& link, const Keys& keys) : link_(link), keys_(keys) {}

  void Lookup(const std::string& client, Callback cb);

 private:
  RedisLink& link_;
  const Keys& keys_;
};

}  // namespace sp::services
