// The example backend worker (examples/backend_worker.cpp) behind a real
// server: the seed projects' behaviours over authenticated connections.
#include <doctest/doctest.h>

#include "shared/messages.h"
#include "tests/support/cluster.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wire_client.h"

using namespace sp::testkit;
using namespace std::chrono_literals;

namespace {

struct WorkerEnv {
  explicit WorkerEnv(const std::string& mode)
      : server(redis),
        worker({BinDir() + "/sealpost-example-worker", "--mode", mode, "--redis", redis.Url(),
                "--duration", "60"},
               dir.File("worker")) {
    REQUIRE(sp::crypto::InitCrypto());
  }
  ~WorkerEnv() { worker.Stop(); }
  std::unique_ptr<WireClient> Connect(const std::string& id) {
    keys.push_back(std::make_unique<sp::crypto::KeyPair>(sp::crypto::GenerateKeyPair()));
    redis.Provision(id, *keys.back());
    auto c = std::make_unique<WireClient>();
    REQUIRE(c->Connect(server.Port()));
    REQUIRE(c->Handshake(server.PublicKey(), *keys.back(), id) == "");
    return c;
  }
  Redis redis;
  Server server;
  TempDir dir;  // before `worker`: it outlives the process writing into it
  Process worker;
  std::vector<std::unique_ptr<sp::crypto::KeyPair>> keys;
};

int counter = 0;

void Say(WireClient& c, const std::string& type, const std::string& data) {
  c.Send({{"type", "client-event"},
          {"ts", sp::proto::NowMs()},
          {"id", std::string("m").append(std::to_string(++counter))},
          {"event", {{"type", type}, {"data", data}}}});
}

// Next delivered event's (type, data), acked.
std::pair<std::string, std::string> Next(WireClient& c) {
  auto m = c.ReceiveType("server-event", 10s);
  REQUIRE(m);
  c.Ack((*m)["eventId"]);
  return {(*m)["event"]["type"], (*m)["event"]["data"]};
}

}  // namespace

TEST_CASE("timestamps worker: SetA-Two answers two time stamps then END, unknown is EMPTY") {
  WorkerEnv env("timestamps");
  auto c = env.Connect("q1");
  Say(*c, "query", "SetA-Two");
  CHECK(Next(*c).first == "timestamp");
  CHECK(Next(*c).first == "timestamp");
  CHECK(Next(*c) == std::pair<std::string, std::string>{"answer", "END"});
  Say(*c, "query", "SetZ-Nine");
  CHECK(Next(*c) == std::pair<std::string, std::string>{"answer", "EMPTY"});
}

TEST_CASE("chat worker: join notices, messages to everyone, private messages, user not found") {
  WorkerEnv env("chat");
  auto alice = env.Connect("alice-dev");
  auto bob = env.Connect("bob-dev");
  Say(*alice, "join", "alice");
  CHECK(Next(*alice).second == "alice joined");
  Say(*bob, "join", "bob");
  CHECK(Next(*alice).second == "bob joined");
  CHECK(Next(*bob).second == "bob joined");
  Say(*alice, "say", "hello all");
  CHECK(Next(*alice).second == "alice: hello all");
  CHECK(Next(*bob).second == "alice: hello all");
  Say(*bob, "pm", "alice psst");
  CHECK(Next(*alice) == std::pair<std::string, std::string>{"private", "bob: psst"});
  Say(*bob, "pm", "carol hi");
  CHECK(Next(*bob) == std::pair<std::string, std::string>{"error", "user not found"});
}
