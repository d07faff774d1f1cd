// End to end: the real sealpost-server against a real redis-server, driven by
// a byte-level client (tests/support/wire_client.h).
#include <doctest/doctest.h>

#include <fstream>
#include <set>

#include "tests/support/server_env.h"

using namespace sp::testkit;
using namespace std::chrono_literals;

namespace {

using Fixture = ServerEnv;

// Receives events until `count` distinct ids have arrived, acking each.
std::vector<std::string> ReceiveAll(WireClient& c, size_t count, std::set<std::string>* seen,
                                    std::chrono::milliseconds timeout = 20s) {
  std::vector<std::string> order;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (seen->size() < count && std::chrono::steady_clock::now() < deadline) {
    auto m = c.ReceiveType("server-event", 2s);
    if (!m) continue;
    std::string id = (*m)["eventId"];
    if (seen->insert(id).second) order.push_back(id);
    c.Ack(id);
  }
  return order;
}

std::string Events(const std::string& id) {
  return "sp:{" + id + "}:events";
}

}  // namespace

TEST_CASE("1000 events XADDed with redis-cli arrive once each, in order, and leave Redis") {
  Fixture f;
  auto key = sp::crypto::GenerateKeyPair();
  f.redis.Provision("101", key);
  auto client = f.Connect("101", key);

  std::string script = f.server.Dir() + "/xadd.txt";
  {
    std::ofstream out(script);
    for (int i = 0; i < 1000; ++i)
      out << "XADD sp:{101}:events * type greeting data n" << i << "\n";
  }
  std::string out;
  REQUIRE(Run({"sh", "-c",
               "redis-cli -p " + std::to_string(f.redis.Port()) + " < " + script + " > /dev/null"},
              &out) == 0);

  std::vector<std::string> data;
  std::set<std::string> seen;
  size_t duplicates = 0;
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (seen.size() < 1000 && std::chrono::steady_clock::now() < deadline) {
    auto m = client->ReceiveType("server-event", 2s);
    if (!m) continue;
    std::string id = (*m)["eventId"];
    if (!seen.insert(id).second) {
      ++duplicates;
    } else {
      data.push_back((*m)["event"]["data"]);
    }
    CHECK((*m)["event"]["type"] == "greeting");
    client->Ack(id);
  }
  REQUIRE(data.size() == 1000);
  CHECK(duplicates == 0);
  for (int i = 0; i < 1000; ++i) CHECK(data[i] == std::string("n").append(std::to_string(i)));

  // Acks are batched: the server XACKs/XDELs the last ones a moment later.
  CHECK(f.Eventually([&] { return f.redis.Integer({"XLEN", Events("101")}) == 0; }));
  auto pending = f.redis.Command({"XPENDING", Events("101"), "sealpost"});
  CHECK(pending->element[0]->integer == 0);
}

TEST_CASE("events pushed while the client is offline arrive after it connects") {
  Fixture f;
  auto key = sp::crypto::GenerateKeyPair();
  f.redis.Provision("7", key);
  for (int i = 0; i < 5; ++i)
    f.redis.Xadd("7", "offline", std::string("e").append(std::to_string(i)));
  auto client = f.Connect("7", key);
  std::set<std::string> seen;
  auto order = ReceiveAll(*client, 5, &seen);
  CHECK(order.size() == 5);
}

TEST_CASE("a client whose stream was deleted gets what is pushed afterwards") {
  Fixture f;
  auto key = sp::crypto::GenerateKeyPair();
  f.redis.Provision("8", key);
  f.Connect("8", key).reset();  // the group exists now
  REQUIRE(f.redis.Integer({"EXISTS", Events("8")}) == 1);
  f.redis.Command({"DEL", Events("8")});  // stream and group gone while offline
  auto client = f.Connect("8", key);
  std::string id = f.redis.Xadd("8", "after", "x");
  auto m = client->ReceiveType("server-event", 5s);
  REQUIRE(m);
  CHECK((*m)["eventId"] == id);
  // Deleted again under a live session: the next read creates the group again.
  client->Ack(id);
  REQUIRE(f.Eventually([&] { return f.redis.Integer({"XLEN", Events("8")}) == 0; }));
  f.redis.Command({"DEL", Events("8")});
  std::string next = f.redis.Xadd("8", "again", "y");
  m = client->ReceiveType("server-event", 5s);
  REQUIRE(m);
  CHECK((*m)["eventId"] == next);
}

TEST_CASE(
    "a client that never acks gets the event max-attempts times with growing gaps, then "
    "it is dead-lettered and the next events flow") {
  Fixture f({"--ack-timeout-ms", "200", "--max-attempts", "4", "--backoff-cap-ms", "5000",
             "--inflight-window", "1"});
  auto key = sp::crypto::GenerateKeyPair();
  f.redis.Provision("9", key);
  auto client = f.Connect("9", key);
  std::string first = f.redis.Xadd("9", "doomed", "x");
  std::string second = f.redis.Xadd("9", "next", "y");

  std::vector<std::chrono::steady_clock::time_point> arrivals;
  std::vector<int> attempts;
  auto deadline = std::chrono::steady_clock::now() + 15s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto m = client->ReceiveType("server-event", 3s);
    if (!m) break;
    if ((*m)["eventId"] == first) {
      arrivals.push_back(std::chrono::steady_clock::now());
      attempts.push_back((*m)["attempt"]);
      continue;  // never acked
    }
    CHECK((*m)["eventId"] == second);
    client->Ack(second);
    break;
  }
  REQUIRE(arrivals.size() == 4);
  CHECK(attempts == std::vector<int>{1, 2, 3, 4});
  for (size_t i = 2; i < arrivals.size(); ++i) {
    CHECK(arrivals[i] - arrivals[i - 1] >= arrivals[i - 1] - arrivals[i - 2] - 30ms);
  }
  bool dead_lettered = f.Eventually([&] { return f.redis.Integer({"XLEN", "sp:{9}:dead"}) == 1; });
  INFO(f.server.Proc().Stderr());
  REQUIRE(dead_lettered);
  auto dead = f.redis.Command({"XRANGE", "sp:{9}:dead", "-", "+"});
  std::string fields;
  for (size_t i = 0; i < dead->element[0]->element[1]->elements; ++i)
    fields += std::string(dead->element[0]->element[1]->element[i]->str) + " ";
  CHECK(fields.find("reason max_attempts") != std::string::npos);
  CHECK(fields.find("eventId " + first) != std::string::npos);
}

TEST_CASE("bad clients are disconnected and receive nothing, others are unaffected") {
  Fixture f;
  auto good_key = sp::crypto::GenerateKeyPair();
  f.redis.Provision("good", good_key);
  auto good = f.Connect("good", good_key);

  SUBCASE("unregistered key") {
    auto stranger = sp::crypto::GenerateKeyPair();
    WireClient c;
    REQUIRE(c.Connect(f.server.Port()));
    CHECK(c.Handshake(f.server.PublicKey(), stranger, "good") == "unknown_client");
    CHECK(c.WaitClosed(3s));
  }
  SUBCASE("wrong pinned server key") {
    WireClient c;
    REQUIRE(c.Connect(f.server.Port()));
    auto other = sp::crypto::GenerateKeyPair();
    CHECK(c.Handshake(sp::crypto::PublicKeyBase64(other), good_key, "good") ==
          "server key mismatch");
  }
  SUBCASE("tampered transport frame") {
    auto key = sp::crypto::GenerateKeyPair();
    f.redis.Provision("evil", key);
    auto evil = f.Connect("evil", key);
    f.redis.Xadd("evil", "secret", "s");
    evil->SendTampered({{"type", "ping"}, {"ts", 1}}, 3);
    CHECK(evil->WaitClosed(3s));
  }
  SUBCASE("garbage before the handshake") {
    WireClient c;
    REQUIRE(c.Connect(f.server.Port()));
    c.SendRawFrame("this is not json");
    auto m = c.Receive(3s);
    REQUIRE(m);
    CHECK((*m)["type"] == "error");
    CHECK(c.WaitClosed(3s));
  }
  std::string id = f.redis.Xadd("good", "still", "fine");
  auto m = good->ReceiveType("server-event", 5s);
  REQUIRE(m);
  CHECK((*m)["eventId"] == id);
}

TEST_CASE("no event payload crosses the wire in clear") {
  Fixture f;
  auto key = sp::crypto::GenerateKeyPair();
  f.redis.Provision("c1", key);
  auto client = f.Connect("c1", key);
  const std::string secret = "TOP-SECRET-PAYLOAD-4242";
  f.redis.Xadd("c1", "classified", secret);
  auto m = client->ReceiveType("server-event", 5s);
  REQUIRE(m);
  CHECK((*m)["event"]["data"] == secret);
  CHECK(client->RawReceived().find(secret) == std::string::npos);
  CHECK(client->RawReceived().find("classified") == std::string::npos);
}

TEST_CASE("kill -9 of the server with events in flight loses nothing") {
  Fixture f;
  auto key = sp::crypto::GenerateKeyPair();
  f.redis.Provision("k", key);
  std::set<std::string> ids;
  for (int i = 0; i < 50; ++i) ids.insert(f.redis.Xadd("k", "t", std::to_string(i)));
  std::set<std::string> unacked = ids;
  {
    auto client = f.Connect("k", key);
    // Receive some, ack only a few, then the server dies.
    for (int i = 0; i < 10; ++i) {
      auto m = client->ReceiveType("server-event", 5s);
      REQUIRE(m);
      if (i >= 3) continue;
      client->Ack((*m)["eventId"]);
      unacked.erase((*m)["eventId"].get<std::string>());
    }
    // The three acks have reached Redis; the other seven are still in flight.
    REQUIRE(f.Eventually([&] { return f.redis.Integer({"XLEN", Events("k")}) == 47; }));
    f.server.Kill9();
  }
  f.server.Restart();
  auto client = f.Connect("k", key);
  std::set<std::string> seen;
  ReceiveAll(*client, unacked.size(), &seen, 20s);
  // Every event not acked before the crash comes again; the acked ones do not.
  CHECK(seen == unacked);
  CHECK(f.Eventually([&] { return f.redis.Integer({"XLEN", Events("k")}) == 0; }));
}

TEST_CASE("Redis restarted (AOF on) mid-stream: nothing lost, delivery resumes by itself") {
  Fixture f({}, /*aof=*/true);
  auto key = sp::crypto::GenerateKeyPair();
  f.redis.Provision("r", key);
  auto client = f.Connect("r", key);
  std::set<std::string> ids;
  for (int i = 0; i < 20; ++i) ids.insert(f.redis.Xadd("r", "before", std::to_string(i)));
  std::set<std::string> seen;
  ReceiveAll(*client, 10, &seen, 10s);
  f.redis.Restart();
  for (int i = 0; i < 20; ++i) ids.insert(f.redis.Xadd("r", "after", std::to_string(i)));
  ReceiveAll(*client, 40, &seen, 30s);
  for (const auto& id : ids) CHECK(seen.count(id) == 1);
  CHECK_FALSE(client->Closed());
}
