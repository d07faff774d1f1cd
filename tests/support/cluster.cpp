#include "tests/support/cluster.h"

#include <doctest/doctest.h>

#include <stdexcept>
#include <thread>

#include "tests/support/eventually.h"

namespace sp::testkit {

Redis::Redis(bool aof, std::string appendfsync)
    : aof_(aof), appendfsync_(std::move(appendfsync)), port_(FreePort()) {
  Launch();
}

Redis::~Redis() {
  if (ctx_) redisFree(ctx_);
  process_.Stop();
}

void Redis::Launch() {
  std::vector<std::string> argv = {"redis-server", "--port",           std::to_string(port_),
                                   "--bind",       "127.0.0.1",        "--dir",
                                   dir_.Path(),    "--save",           "",
                                   "--appendonly", aof_ ? "yes" : "no"};
  if (aof_) argv.insert(argv.end(), {"--appendfsync", appendfsync_});
  process_ = Process(argv, dir_.File("redis-" + std::to_string(std::rand())));
  if (!WaitForPort(port_, std::chrono::seconds(10)))
    throw std::runtime_error("redis-server did not start");
  // The port opens before the AOF is loaded; until then commands get LOADING.
  if (!Eventually([&] { return Command({"PING"})->type == REDIS_REPLY_STATUS; },
                  std::chrono::seconds(10)))
    throw std::runtime_error("redis-server did not finish loading");
}

void Redis::Restart() {
  Stop();
  Launch();
}

void Redis::Stop() {
  if (ctx_) redisFree(ctx_), ctx_ = nullptr;
  process_.Stop();
}

void Redis::Kill9() {
  if (ctx_) redisFree(ctx_), ctx_ = nullptr;
  process_.Kill9();
}

std::unique_ptr<redisReply, void (*)(void*)> Redis::Command(const std::vector<std::string>& argv) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (ctx_ == nullptr || ctx_->err) {
      if (ctx_) redisFree(ctx_);
      ctx_ = redisConnect("127.0.0.1", port_);
    }
    std::vector<const char*> ptrs;
    std::vector<size_t> lens;
    for (const auto& a : argv) ptrs.push_back(a.data()), lens.push_back(a.size());
    auto* r = static_cast<redisReply*>(
        redisCommandArgv(ctx_, static_cast<int>(argv.size()), ptrs.data(), lens.data()));
    if (r) return {r, freeReplyObject};
  }
  throw std::runtime_error("redis command failed");
}

long long Redis::Integer(const std::vector<std::string>& argv) {
  auto r = Command(argv);
  return r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
}

std::string Redis::String(const std::vector<std::string>& argv) {
  auto r = Command(argv);
  return r->str ? std::string(r->str, r->len) : std::string();
}

std::string Redis::Xadd(const std::string& client, const std::string& type,
                        const std::string& data) {
  return String({"XADD", "sp:{" + client + "}:events", "*", "type", type, "data", data});
}

void Redis::Provision(const std::string& client, const crypto::KeyPair& key) {
  Command({"HSET", "sp:{" + client + "}:client", "pk", crypto::PublicKeyBase64(key)});
}

Server::Server(Redis& redis, std::vector<std::string> extra_args, std::string host)
    : Server(redis, crypto::GenerateKeyPair(), std::move(extra_args), std::move(host)) {}

Server::Server(Redis& redis, const crypto::KeyPair& key, std::vector<std::string> extra_args,
               std::string host)
    : Server(redis.Url(), key, std::move(extra_args), std::move(host)) {}

Server::Server(std::string redis_url, const crypto::KeyPair& key,
               std::vector<std::string> extra_args, std::string host)
    : redis_url_(std::move(redis_url)),
      extra_(std::move(extra_args)),
      host_(std::move(host)),
      port_(FreePort()),
      key_(key) {
  if (crypto::WriteKeyFile(dir_.File("server.key"), key_) != crypto::KeyFileError::Ok)
    throw std::runtime_error("cannot write server key");
  Launch();
}

Server::~Server() {
  int code = process_.Stop();
  // A sanitizer report from the server process fails the test that ran it.
  std::string err = process_.Stderr();
  for (const char* marker : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"}) {
    if (err.find(marker) != std::string::npos) {
      FAIL_CHECK("sealpost-server reported a sanitizer error (exit " << code << "):\n" << err);
      break;
    }
  }
}

void Server::Launch() {
  std::vector<std::string> argv = {BinDir() + "/sealpost-server",
                                   "--listen",
                                   host_ + ":" + std::to_string(port_),
                                   "--redis",
                                   redis_url_,
                                   "--key-file",
                                   dir_.File("server.key"),
                                   "--env-file",
                                   "/dev/null",
                                   "--node-id",
                                   "test-" + std::to_string(port_)};
  argv.insert(argv.end(), extra_.begin(), extra_.end());
  process_ = Process(argv, dir_.File("server-" + std::to_string(launches_++)));
  if (!WaitForPort(host_, port_, std::chrono::seconds(10)) ||
      !process_.WaitForOutput("redis.connected", std::chrono::seconds(10))) {
    throw std::runtime_error("sealpost-server did not start: " + process_.Stderr());
  }
  // With several workers (the default on a machine with several CPUs), the
  // first worker's line is not enough: wait for the supervisor's.
  if (process_.Stderr().find("workers.starting") != std::string::npos &&
      !process_.WaitForOutput("workers.ready", std::chrono::seconds(15))) {
    throw std::runtime_error("sealpost-server workers did not start: " + process_.Stderr());
  }
}

void Server::Restart() {
  process_.Stop();
  std::string err = process_.Stderr();
  if (err.find("Sanitizer") != std::string::npos || err.find("runtime error:") != std::string::npos)
    FAIL_CHECK("sealpost-server reported a sanitizer error:\n" << err);
  Launch();
}

}  // namespace sp::testkit
