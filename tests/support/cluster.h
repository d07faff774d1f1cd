// A private redis-server and a sealpost-server for one integration test.
#pragma once

#include <hiredis/hiredis.h>

#include <memory>
#include <string>
#include <vector>

#include "crypto/keys.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace sp::testkit {

class Redis {
 public:
  // Starts redis-server on a free port in its own directory (AOF optional,
  // fsynced as `appendfsync` says: everysec or always).
  explicit Redis(bool aof = false, std::string appendfsync = "everysec");
  ~Redis();
  int Port() const { return port_; }
  std::string Url() const { return "redis://127.0.0.1:" + std::to_string(port_) + "/0"; }
  void Restart();  // stop (SIGTERM, AOF flushed) and start again on the same port and dir
  void Stop();     // SIGTERM (AOF flushed); Start() brings it back on the same port and dir
  void Start() { Launch(); }
  void Kill9();  // SIGKILL: what the AOF fsync policy kept survives; Start() as after Stop()
  // Runs one command on a fresh synchronous connection.
  std::unique_ptr<redisReply, void (*)(void*)> Command(const std::vector<std::string>& argv);
  long long Integer(const std::vector<std::string>& argv);
  std::string String(const std::vector<std::string>& argv);
  std::string Xadd(const std::string& client, const std::string& type, const std::string& data);
  void Provision(const std::string& client, const crypto::KeyPair& key);

 private:
  void Launch();
  bool aof_;
  std::string appendfsync_;
  int port_;
  TempDir dir_;
  Process process_;
  redisContext* ctx_ = nullptr;
};

class Server {
 public:
  // Listens on `host` (a loopback address unless a test made another one).
  Server(Redis& redis, std::vector<std::string> extra_args = {}, std::string host = "127.0.0.1");
  // With a given key: nodes of one deployment share theirs.
  Server(Redis& redis, const crypto::KeyPair& key, std::vector<std::string> extra_args = {},
         std::string host = "127.0.0.1");
  // On any Redis topology (redis+cluster://, redis+sentinel://), by URL.
  Server(std::string redis_url, const crypto::KeyPair& key,
         std::vector<std::string> extra_args = {}, std::string host = "127.0.0.1");
  ~Server();
  int Port() const { return port_; }
  const std::string& Host() const { return host_; }
  const crypto::KeyPair& Key() const { return key_; }
  std::string PublicKey() const { return crypto::PublicKeyBase64(key_); }
  Process& Proc() { return process_; }
  void Restart();
  void Kill9() { process_.Kill9(); }
  const std::string& Dir() const { return dir_.Path(); }

 private:
  void Launch();
  std::string redis_url_;
  std::vector<std::string> extra_;
  std::string host_;
  int port_;
  TempDir dir_;
  crypto::KeyPair key_;
  Process process_;
  int launches_ = 0;
};

}  // namespace sp::testkit
