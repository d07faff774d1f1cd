#include "tests/support/redis_sentinel.h"

#include <algorithm>
#include <fstream>
#include <stdexcept>

#include "tests/support/eventually.h"

namespace sp::testkit {

namespace {

using namespace std::chrono_literals;

// A field of a flat [name, value, name, value, ...] reply (SENTINEL MASTER).
std::string PairValue(const redisReply* r, const std::string& name) {
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY) return "";
  for (size_t i = 0; i + 1 < r->elements; i += 2)
    if (ReplyText(r->element[i]) == name) return ReplyText(r->element[i + 1]);
  return "";
}

std::string Role(int port) {
  auto r = RedisCommandAt(port, {"ROLE"}, 2s);
  if (!r || r->type != REDIS_REPLY_ARRAY || r->elements == 0) return "";
  return ReplyText(r->element[0]);
}

// What one Sentinel on `sentinel_port` names as the primary, -1 if it does not answer.
int PrimaryAccordingTo(int sentinel_port) {
  auto r = RedisCommandAt(sentinel_port,
                          {"SENTINEL", "GET-MASTER-ADDR-BY-NAME", RedisSentinel::kMasterName}, 2s);
  if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) return -1;
  return std::stoi(ReplyText(r->element[1]));
}

std::string Tail(const std::string& s, size_t n) {
  return s.size() <= n ? s : s.substr(s.size() - n);
}

}  // namespace

RedisSentinel::RedisSentinel(int sentinels, bool aof) {
  if (sentinels < 1) throw std::invalid_argument("at least one Sentinel");
  auto data_argv = [aof](int primary) {
    return [aof, primary](int port, const std::string& dir) {
      std::vector<std::string> argv = {"redis-server", "--port", std::to_string(port), "--bind",
                                       "127.0.0.1", "--dir", dir, "--save", "", "--appendonly",
                                       aof ? "yes" : "no",
                                       // The default waits 5 s for more replicas
                                       // before a full sync starts.
                                       "--repl-diskless-sync-delay", "0"};
      if (primary > 0)
        argv.insert(argv.end(), {"--replicaof", "127.0.0.1", std::to_string(primary)});
      return argv;
    };
  };
  data_.push_back(std::make_unique<RedisNode>(data_argv(0), false));
  int primary = data_[0]->Port();
  data_.push_back(std::make_unique<RedisNode>(data_argv(primary), false));

  int quorum = sentinels >= 2 ? 2 : 1;
  auto sentinel_argv = [primary, quorum](int port, const std::string& dir) {
    std::string conf = dir + "/sentinel.conf";
    // A Sentinel rewrites its config file with what it learnt (other
    // Sentinels, a failover): a restart on the same port keeps that file; a
    // new port (the first one was taken) starts from scratch.
    if (ReadFile(conf).find("port " + std::to_string(port) + "\n") == std::string::npos) {
      std::ofstream out(conf, std::ios::trunc);
      std::string name = kMasterName;
      out << "port " << port << "\nbind 127.0.0.1\ndir " << dir << "\n"
          << "sentinel monitor " << name << " 127.0.0.1 " << primary << " " << quorum << "\n"
          << "sentinel down-after-milliseconds " << name << " " << kDownAfterMs
          << "\n"
          // Bounds a failover attempt; a Sentinel that lost an election
          // tries again after twice this.
          << "sentinel failover-timeout " << name << " 3000\n"
          << "sentinel parallel-syncs " << name << " 1\n";
    }
    return std::vector<std::string>{"redis-server", conf, "--sentinel"};
  };
  for (int i = 0; i < sentinels; ++i)
    sentinels_.push_back(std::make_unique<RedisNode>(sentinel_argv, false));
  // Sentinels find the replica through the primary's INFO (every 10 s at
  // first) and each other through hello messages (every 2 s).
  if (!Eventually([&] { return Ready(); }, 30s, 50ms))
    throw std::runtime_error("the Sentinels did not see the replica and each other:\n" + Logs());
}

RedisSentinel::~RedisSentinel() = default;

bool RedisSentinel::Ready() {
  if (RedisInfoField(data_[1]->Port(), "replication", "master_link_status") != "up") return false;
  for (const auto& s : sentinels_) {
    auto r = RedisCommandAt(s->Port(), {"SENTINEL", "MASTER", kMasterName}, 2s);
    if (PairValue(r.get(), "flags") != "master" || PairValue(r.get(), "num-slaves") != "1" ||
        PairValue(r.get(), "num-other-sentinels") != std::to_string(sentinels_.size() - 1))
      return false;
  }
  return true;
}

std::string RedisSentinel::Url() const {
  std::string url = "redis+sentinel://";
  for (size_t i = 0; i < sentinels_.size(); ++i)
    url += (i ? ",127.0.0.1:" : "127.0.0.1:") + std::to_string(sentinels_[i]->Port());
  return url + "/" + kMasterName;
}

std::vector<int> RedisSentinel::SentinelPorts() const {
  std::vector<int> ports;
  for (const auto& s : sentinels_) ports.push_back(s->Port());
  return ports;
}

std::vector<int> RedisSentinel::DataPorts() const {
  return {data_[0]->Port(), data_[1]->Port()};
}

int RedisSentinel::PrimaryPort() {
  for (const auto& s : sentinels_)
    if (s->Running()) return PrimaryAccordingTo(s->Port());
  return -1;
}

int RedisSentinel::ReplicaPort() {
  int primary = PrimaryPort();
  return data_[0]->Port() == primary ? data_[1]->Port() : data_[0]->Port();
}

int RedisSentinel::Kill9Primary() {
  int primary = PrimaryPort();
  Node(primary).Kill9();
  dead_primary_ = primary;
  return primary;
}

void RedisSentinel::Kill9Sentinel(int port) {
  Node(port).Kill9();
}

void RedisSentinel::Restart(int port) {
  Node(port).Start();
}

int RedisSentinel::WaitForFailover(std::chrono::milliseconds timeout) {
  if (dead_primary_ < 0) throw std::logic_error("WaitForFailover without Kill9Primary");
  int promoted = -1;
  bool done = Eventually(
      [&] {
        int named = -1;
        for (const auto& s : sentinels_) {
          if (!s->Running()) continue;
          int p = PrimaryAccordingTo(s->Port());
          if (p < 0 || p == dead_primary_ || (named >= 0 && p != named)) return false;
          named = p;
        }
        if (named < 0 || Role(named) != "master") return false;
        promoted = named;
        return true;
      },
      timeout, 50ms);
  return done ? promoted : -1;
}

RedisNode& RedisSentinel::Node(int port) {
  for (auto* list : {&data_, &sentinels_})
    for (auto& n : *list)
      if (n->Port() == port) return *n;
  throw std::invalid_argument("no Redis of the Sentinel setup on " + std::to_string(port));
}

RedisReplyPtr RedisSentinel::Command(int port, const std::vector<std::string>& argv) {
  auto r = RedisCommandAt(port, argv);
  if (!r) throw std::runtime_error("no reply from the Redis on " + std::to_string(port));
  return r;
}

std::vector<RedisReplyPtr> RedisSentinel::Commands(
    const std::vector<std::vector<std::string>>& commands) {
  int port = PrimaryPort();
  auto replies = RedisCommandsAt(port, commands);
  bool all =
      replies.size() == commands.size() &&
      std::all_of(replies.begin(), replies.end(), [](const auto& r) { return r != nullptr; });
  if (!all) throw std::runtime_error("no reply from the primary on " + std::to_string(port));
  return replies;
}

long long RedisSentinel::Integer(const std::vector<std::string>& argv) {
  auto r = Command(argv);
  return r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
}

std::string RedisSentinel::String(const std::vector<std::string>& argv) {
  return ReplyText(Command(argv).get());
}

std::string RedisSentinel::Xadd(const std::string& client, const std::string& type,
                                const std::string& data) {
  return String({"XADD", "sp:{" + client + "}:events", "*", "type", type, "data", data});
}

void RedisSentinel::Provision(const std::string& client, const crypto::KeyPair& key) {
  Command({"HSET", "sp:{" + client + "}:client", "pk", crypto::PublicKeyBase64(key)});
}

std::string RedisSentinel::Logs() {
  std::string all;
  for (auto* list : {&data_, &sentinels_})
    for (const auto& n : *list)
      all += "--- redis-server on " + std::to_string(n->Port()) + " ---\n" + Tail(n->Log(), 3000);
  return all;
}

}  // namespace sp::testkit
