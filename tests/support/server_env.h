// One private redis-server and one sealpost-server for an integration test,
// with helpers to connect byte-level clients and to wait for a condition.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/cluster.h"
#include "tests/support/eventually.h"
#include "tests/support/wire_client.h"

namespace sp::testkit {

// Whether `node` (from presence or the registry) is `server` or one of its
// workers (test-<port>-w<i> when it runs several).
inline bool IsNodeOf(const std::string& node, const Server& server) {
  std::string id = "test-" + std::to_string(server.Port());
  return node == id || node.rfind(id + "-w", 0) == 0;
}

struct ServerEnv {
  explicit ServerEnv(std::vector<std::string> server_args = {}, bool aof = false)
      : redis(aof), server(redis, std::move(server_args)) {
    REQUIRE(crypto::InitCrypto());
  }
  // A provisioned client, connected and welcomed.
  std::unique_ptr<WireClient> Connect(const std::string& id, const crypto::KeyPair& key) {
    auto c = std::make_unique<WireClient>();
    REQUIRE(c->Connect(server.Port()));
    REQUIRE(c->Handshake(server.PublicKey(), key, id) == "");
    return c;
  }
  template <class Pred>
  bool Eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    return testkit::Eventually(pred, timeout);
  }
  Redis redis;
  Server server;
};

}  // namespace sp::testkit
