// A blocking hiredis connection for the command line tools (one-shot admin
// commands, the simulator's provisioning and push pipeline). The server and
// the client library never block on Redis; these tools may.
#pragma once

#include <hiredis/hiredis.h>

#include <deque>
#include <map>
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
  // first (to reconnect). redis+sentinel:// asks the sentinels for the
  // primary; redis+cluster:// connects to the first seed that answers and
  // follows MOVED and ASK to the node holding each command's key.
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
  // Appends `argv` (a keyless command such as WAIT) once on every connection
  // Append() used since the last such call; returns how many replies to read.
  size_t AppendToEach(const std::vector<std::string>& argv);

  // The connection-level error after a nullptr reply.
  std::string Error() const;
  // True when not connected or when the connection failed: hiredis will not
  // use it again, every later command fails until Connect() succeeds.
  bool Broken() const {
    if (ctx_ == nullptr || ctx_->err != 0) return true;
    for (const auto& [address, ctx] : nodes_)
      if (ctx->err != 0) return true;
    return false;
  }

 private:
  // A logged-in connection to host:port, or nullptr with `error` set.
  redisContext* Open(const std::string& host, int port, std::string* error);
  void CloseAll();
  // Cluster: the connection the slot map (learnt from MOVED) says holds `argv`'s key.
  redisContext* ContextFor(const std::vector<std::string>& argv);
  // The connection to "host:port" in `pool`, opened if new.
  redisContext* NodeAt(const std::string& address, std::map<std::string, redisContext*>* pool);
  // Follows a MOVED/ASK reply by sending `argv` to the node it names.
  Reply FollowRedirects(Reply reply, const std::vector<std::string>& argv);

  redisContext* ctx_ = nullptr;         // the server, or the first cluster node reached
  redisContext* last_ctx_ = nullptr;    // where the last keyed command went (cluster)
  redisContext* redirected_ = nullptr;  // where the last reply's redirect sent it, if any
  std::string username_;
  std::string password_;
  int db_ = 0;
  int timeout_ms_ = 5000;
  bool cluster_ = false;
  std::map<std::string, redisContext*> nodes_;           // cluster nodes reached (not ctx_)
  std::map<std::string, redisContext*> redirect_nodes_;  // for redirected commands only
  std::map<int, std::string> slot_owner_;                // learnt from MOVED
  struct Queued {
    redisContext* ctx;
    std::vector<std::string> argv;  // sent again after a redirect
  };
  std::deque<Queued> queued_;               // pipelined commands in cluster mode, in order
  std::vector<redisContext*> appended_to_;  // since the last AppendToEach
};

// Text of a string/status/error reply ("" for other types or nullptr).
std::string_view Text(const redisReply* r);
bool IsError(const redisReply* r);

}  // namespace sealpost::tools
