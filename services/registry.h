// sp:{ID}:client: the registered public key of each client, written by
// operators (`sealpost provision`), read at every handshake.
#pragma once

#include <functional>
#include <string>

#include "services/keys.h"
#include "services/redis_link.h"

namespace sp::services {

struct ClientRecord {
  enum class Status : uint8_t { Found, NotFound, Unavailable };
  Status status = Status::Unavailable;
  std::string pk;  // base64 public key
  bool disabled = false;
};

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
