// Client-events are stored once per (client, id): a client that resends what
// it sent before an ack could reach it (a reconnect, a rate-limit close) gets
// its ack again and sp:inbound keeps one entry.
#include <doctest/doctest.h>

#include <map>
#include <set>
#include <string>

#include "shared/messages.h"
#include "tests/support/server_env.h"

using namespace sp::testkit;
using namespace std::chrono_literals;

namespace {

nlohmann::json ClientEvent(const std::string& id, const std::string& data) {
  return {{"type", "client-event"},
          {"ts", sp::proto::NowMs()},
          {"id", id},
          {"event", {{"type", "t"}, {"data", data}}}};
}

// The client-event ids in sp:inbound, with how often each is there.
std::map<std::string, int> InboundIds(Redis& redis, const std::string& client) {
  std::map<std::string, int> ids;
  auto entries = redis.Command({"XRANGE", "sp:inbound", "-", "+"});
  for (size_t i = 0; i < entries->elements; ++i) {
    auto* body = entries->element[i]->element[1];
    std::string from;
    std::string id;
    for (size_t f = 0; f + 1 < body->elements; f += 2) {
      std::string name = body->element[f]->str;
      if (name == "client") from = body->element[f + 1]->str;
      if (name == "id") id = body->element[f + 1]->str;
    }
    if (from == client) ids[id]++;
  }
  return ids;
}

}  // namespace

TEST_CASE("a client-event resent with the same id after a reconnect is acked and stored once") {
  ServerEnv env;
  auto key = sp::crypto::GenerateKeyPair();
  auto other_key = sp::crypto::GenerateKeyPair();
  env.redis.Provision("resender", key);
  env.redis.Provision("other", other_key);
  {
    auto first = env.Connect("resender", key);
    REQUIRE(first->Send(ClientEvent("r-1", "once")));
    auto ack = first->ReceiveType("ack", 5s);
    REQUIRE(ack);
    CHECK((*ack)["id"] == "r-1");
  }
  auto second = env.Connect("resender", key);
  REQUIRE(second->Send(ClientEvent("r-1", "once")));
  auto again = second->ReceiveType("ack", 5s);
  REQUIRE(again);
  CHECK((*again)["id"] == "r-1");  // the same answer as the first time
  REQUIRE(second->Send(ClientEvent("r-2", "new")));
  auto fresh = second->ReceiveType("ack", 5s);
  REQUIRE(fresh);
  CHECK((*fresh)["id"] == "r-2");
  // Ids are per client: another client's "r-1" is its own event.
  auto other = env.Connect("other", other_key);
  REQUIRE(other->Send(ClientEvent("r-1", "theirs")));
  REQUIRE(other->ReceiveType("ack", 5s));

  CHECK(InboundIds(env.redis, "resender") == std::map<std::string, int>{{"r-1", 1}, {"r-2", 1}});
  CHECK(InboundIds(env.redis, "other") == std::map<std::string, int>{{"r-1", 1}});
}

TEST_CASE("a flood closed for its rate, then resent in full elsewhere, is in sp:inbound once") {
  ServerEnv env({"--client-rate", "200"});  // burst 400: the flood below is cut off
  Server roomy(env.redis);                  // default rate: takes the whole resend
  auto key = sp::crypto::GenerateKeyPair();
  env.redis.Provision("flooder", key);
  constexpr int kEvents = 1000;
  std::set<std::string> acked;
  {
    auto c = env.Connect("flooder", key);
    for (int i = 0; i < kEvents && !c->Closed(); ++i)
      c->Send(ClientEvent("f-" + std::to_string(i), "x"));
    while (auto m = c->Receive(3s)) {
      if ((*m)["type"] == "ack") acked.insert((*m)["id"].get<std::string>());
    }
    REQUIRE(c->Closed());  // rate_limited: some stored events never got their ack
  }
  REQUIRE(acked.size() < kEvents);
  // What the client library does after reconnecting: resend everything not acked
  // (here: everything, acked or not, which must be just as harmless).
  WireClient c;
  REQUIRE(c.Connect(roomy.Port()));
  REQUIRE(c.Handshake(roomy.PublicKey(), key, "flooder") == "");
  for (int i = 0; i < kEvents; ++i) REQUIRE(c.Send(ClientEvent("f-" + std::to_string(i), "x")));
  std::set<std::string> reacked;
  while (reacked.size() < kEvents) {
    auto m = c.Receive(5s);
    REQUIRE(m);
    INFO(m->dump());
    REQUIRE((*m)["type"] == "ack");
    reacked.insert((*m)["id"].get<std::string>());
  }
  std::map<std::string, int> stored = InboundIds(env.redis, "flooder");
  CHECK(stored.size() == kEvents);
  int twice = 0;
  for (const auto& [id, n] : stored) twice += n > 1 ? 1 : 0;
  CHECK(twice == 0);
  CHECK(env.redis.Integer({"XLEN", "sp:inbound"}) == kEvents);
}
