#include "tests/support/redis_node.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <thread>

namespace sp::testkit {

namespace {

timeval ToTimeval(std::chrono::milliseconds d) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(d.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
  return tv;
}

redisContext* Connect(int port, std::chrono::milliseconds timeout) {
  redisContext* ctx = redisConnectWithTimeout("127.0.0.1", port, ToTimeval(timeout));
  if (ctx == nullptr) return nullptr;
  if (ctx->err != 0 || redisSetTimeout(ctx, ToTimeval(timeout)) != REDIS_OK) {
    redisFree(ctx);
    return nullptr;
  }
  return ctx;
}

void AppendArgv(redisContext* ctx, const std::vector<std::string>& argv) {
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
  for (const auto& a : argv) ptrs.push_back(a.data()), lens.push_back(a.size());
  redisAppendCommandArgv(ctx, static_cast<int>(argv.size()), ptrs.data(), lens.data());
}

// Whether nothing listens on 127.0.0.1:port now. Without SO_REUSEADDR, which
// is stricter than redis-server's own bind: a port this refuses may still
// have worked, one it accepts may be taken before redis-server binds it (the
// caller retries).
bool PortFree(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

}  // namespace

RedisReplyPtr RedisCommandAt(int port, const std::vector<std::string>& argv,
                             std::chrono::milliseconds timeout) {
  auto replies = RedisCommandsAt(port, {argv}, timeout);
  if (replies.empty()) return {nullptr, freeReplyObject};
  return std::move(replies.front());
}

std::vector<RedisReplyPtr> RedisCommandsAt(int port,
                                           const std::vector<std::vector<std::string>>& commands,
                                           std::chrono::milliseconds timeout) {
  std::vector<RedisReplyPtr> replies;
  redisContext* ctx = Connect(port, timeout);
  if (ctx == nullptr) return replies;
  for (const auto& argv : commands) AppendArgv(ctx, argv);
  for (size_t i = 0; i < commands.size(); ++i) {
    void* r = nullptr;
    if (redisGetReply(ctx, &r) != REDIS_OK) r = nullptr;
    replies.emplace_back(static_cast<redisReply*>(r), freeReplyObject);
  }
  redisFree(ctx);
  return replies;
}

std::string RedisInfoField(int port, const std::string& section, const std::string& field) {
  auto r = RedisCommandAt(port, {"INFO", section}, std::chrono::seconds(2));
  if (!r || r->type != REDIS_REPLY_STRING) return "";
  return InfoValue(ReplyText(r.get()), field);
}

std::string InfoValue(const std::string& text, const std::string& field) {
  std::string prefix = field + ":";
  for (size_t at = 0; at < text.size();) {
    size_t end = text.find("\r\n", at);
    if (end == std::string::npos) end = text.size();
    if (text.compare(at, prefix.size(), prefix) == 0)
      return text.substr(at + prefix.size(), end - at - prefix.size());
    at = end + 2;
  }
  return "";
}

std::string ReplyText(const redisReply* reply) {
  if (reply == nullptr || reply->str == nullptr) return "";
  return std::string(reply->str, reply->len);
}

RedisNode::RedisNode(ArgvFor argv_for, bool bus_port) : argv_for_(std::move(argv_for)) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    int port = FreePort();
    if (bus_port && (port + 10000 > 65535 || !PortFree(port + 10000))) continue;
    port_ = port;
    if (Launch()) return;
  }
  throw std::runtime_error("redis-server did not start (last port " + std::to_string(port_) +
                           "): " + Log());
}

// SIGKILL: the directory goes with the node, so there is nothing to flush,
// and a primary stopped with SIGTERM may wait (shutdown-timeout) for replicas
// that are going away too.
RedisNode::~RedisNode() {
  process_.Kill9();
}

void RedisNode::Start() {
  if (!Launch())
    throw std::runtime_error("redis-server did not start again on " + std::to_string(port_) + ": " +
                             Log());
}

bool RedisNode::Launch() {
  process_ =
      Process(argv_for_(port_, dir_.Path()), dir_.File("redis-" + std::to_string(launches_++)));
  // Another process may hold the port (then ours exits, and that one would
  // answer PING): the answer has to come from our process id. The port also
  // opens before an AOF is loaded, when INFO already answers but commands get
  // LOADING; PING waits for that.
  std::string pid = std::to_string(process_.Pid());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process_.Running()) return false;
    if (RedisInfoField(port_, "server", "process_id") == pid) {
      auto r = RedisCommandAt(port_, {"PING"}, std::chrono::milliseconds(500));
      if (r && r->type == REDIS_REPLY_STATUS) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  process_.Kill9();
  return false;
}

}  // namespace sp::testkit
