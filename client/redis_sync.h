// A blocking hiredis connection for the command line tools (one-shot admin
// commands, the simulator's provisioning and push pipeline). The server and
// the client library never block on Redis; these tools may.
#pragma once

#include <hiredis/hiredis.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sealpost::tools {

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

class RedisSync {
 public:
  RedisSync() = default;
  ~RedisSync();
  RedisSync(const RedisSync&) = delete;
  RedisSync& operator=(const RedisSync&) = delete;

  // Connects to redis://[[user]:password@]host[:port][/db], authenticates
  // (with the first line of `password_file` instead of the URL's password
  // when one is named) and selects the database. False with a one-line
  // reason (password never shown). Called again, it drops the old connection
  // first (to reconnect).
  [[nodiscard]] bool Connect(std::string_view url, const std::string& password_file,
                             std::string* error, int timeout_ms = 5000);
  [[nodiscard]] bool Connect(std::string_view url, std::string* error, int timeout_ms = 5000) {
    return Connect(url, std::string(), error, timeout_ms);
  }

  // How long a command may wait for its reply (Connect sets its own timeout).
  void SetTimeout(int timeout_ms);

  // One command, one round trip. nullptr when the connection failed.
  Reply Command(const std::vector<std::string>& argv);
  // Pipelining: queue any number of commands, then read one reply each.
  void Append(const std::vector<std::string>& argv);
  Reply Next();

  // The connection-level error after a nullptr reply.
  std::string Error() const;
  // True when not connected or when the connection failed: hiredis will not
  // use it again, every later command fails until Connect() succeeds.
  bool Broken() const { return ctx_ == nullptr || ctx_->err != 0; }

 private:
  redisContext* ctx_ = nullptr;
};

// Text of a string/status/error reply ("" for other types or nullptr).
std::string_view Text(const redisReply* r);
bool IsError(const redisReply* r);

}  // namespace sealpost::tools
