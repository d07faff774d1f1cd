// Two sessions of one client on different nodes: the one that started later
// in Redis's eyes (the higher epoch from sp:{ID}:epoch) survives, whatever the
// nodes' clocks say.
#include <doctest/doctest.h>

#include <string>

#include "shared/messages.h"
#include "tests/support/server_env.h"

using namespace sp::testkit;
using namespace std::chrono_literals;

namespace {

// What a node announces on sp:control when a session starts.
std::string Announcement(const std::string& client, const std::string& node, int64_t since_ms,
                         uint64_t epoch) {
  return "session " + client + " " + node + " 0000000000abcd " + std::to_string(since_ms) + " " +
         std::to_string(epoch);
}

}  // namespace

TEST_CASE("an older session on a node whose clock runs ahead does not end a newer one") {
  ServerEnv env;
  auto key = sp::crypto::GenerateKeyPair();
  env.redis.Provision("fenced", key);
  env.redis.Command({"SET", "sp:{fenced}:epoch", "41"});  // 41 sessions before this one
  auto c = env.Connect("fenced", key);
  REQUIRE(env.Eventually([&] {
    return env.redis.String({"HGET", "sp:{fenced}:presence", "epoch"}) == "42";
  }));
  int64_t hour = 3600 * 1000;
  // Epoch 41 started before ours, on a node whose clock is an hour ahead; then
  // epoch 43 starts after ours, on a node whose clock is an hour behind.
  // Announcements are handled in order: if the first one closed the session,
  // the log would name its node.
  env.redis.Command({"PUBLISH", "sp:control",
                     Announcement("fenced", "clock-ahead", sp::proto::NowMs() + hour, 41)});
  env.redis.Command({"PUBLISH", "sp:control",
                     Announcement("fenced", "clock-behind", sp::proto::NowMs() - hour, 43)});
  auto err = c->ReceiveType("error", 5s);
  REQUIRE(err);
  CHECK((*err)["code"] == "replaced");
  REQUIRE(env.server.Proc().WaitForOutput("by_node=clock-behind", 5s));
  CHECK(env.server.Proc().Stderr().find("by_node=clock-ahead") == std::string::npos);
}

TEST_CASE("sessions moving between two nodes: each new one takes a higher epoch and survives") {
  ServerEnv env;
  Server node_b(env.redis);
  auto key = sp::crypto::GenerateKeyPair();
  env.redis.Provision("mover", key);
  auto first = env.Connect("mover", key);
  WireClient second;
  REQUIRE(second.Connect(node_b.Port()));
  REQUIRE(second.Handshake(node_b.PublicKey(), key, "mover") == "");
  auto replaced = first->ReceiveType("error", 5s);
  REQUIRE(replaced);
  CHECK((*replaced)["code"] == "replaced");
  auto third = env.Connect("mover", key);
  auto replaced_again = second.ReceiveType("error", 5s);
  REQUIRE(replaced_again);
  CHECK((*replaced_again)["code"] == "replaced");
  CHECK(env.redis.String({"GET", "sp:{mover}:epoch"}) == "3");
  CHECK(env.Eventually([&] {
    return env.redis.String({"HGET", "sp:{mover}:presence", "epoch"}) == "3" &&
           IsNodeOf(env.redis.String({"HGET", "sp:{mover}:presence", "node"}), env.server);
  }));
  // The survivor works: a client-event is stored and acked.
  REQUIRE(third->Send({{"type", "client-event"},
                       {"ts", sp::proto::NowMs()},
                       {"id", "m-1"},
                       {"event", {{"type", "t"}, {"data", "x"}}}}));
  auto ack = third->ReceiveType("ack", 5s);
  REQUIRE(ack);
  CHECK((*ack)["id"] == "m-1");
}
