// Messaging between clients in the server (docs/PROTOCOL.md §6), driven at
// the wire: direct messages, groups, policies, presence notices, requests.
#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <set>
#include <string>

#include "shared/messages.h"
#include "tests/support/server_env.h"

using namespace sp::testkit;
using namespace std::chrono_literals;

namespace {

int message_counter = 0;

struct MessagingEnv : ServerEnv {
  explicit MessagingEnv(std::vector<std::string> args = {}) : ServerEnv(std::move(args)) {}
  void Provision(const std::string& id) {
    keys[id] = std::make_unique<sp::crypto::KeyPair>(sp::crypto::GenerateKeyPair());
    redis.Provision(id, *keys[id]);
  }
  std::unique_ptr<WireClient> Join(const std::string& id) {
    if (!keys.count(id)) Provision(id);
    return Connect(id, *keys[id]);
  }
  void Group(const std::string& name, const std::vector<std::string>& members,
             bool presence = false) {
    for (const std::string& m : members) {
      redis.Command({"SADD", "sp:group:" + name, m});
      redis.Command({"SADD", "sp:{" + m + "}:groups", name});
    }
    if (presence) redis.Command({"HSET", "sp:group:" + name + ":options", "presence", "on"});
  }
  std::map<std::string, std::unique_ptr<sp::crypto::KeyPair>> keys;
};

nlohmann::json To(const std::string& to, const std::string& data, std::string id = {}) {
  if (id.empty()) id = "m-" + std::to_string(++message_counter);
  return {{"type", "client-event"},
          {"ts", sp::proto::NowMs()},
          {"id", id},
          {"to", to},
          {"event", {{"type", "chat"}, {"data", data}}}};
}

nlohmann::json Ask(const std::string& method, nlohmann::json params, std::string id = {}) {
  if (id.empty()) id = "r-" + std::to_string(++message_counter);
  return {{"type", "request"},
          {"ts", sp::proto::NowMs()},
          {"id", id},
          {"method", method},
          {"params", params}};
}

// The answer to message `id`: its ack or its error (other messages skipped).
nlohmann::json AnswerTo(WireClient& c, const std::string& id) {
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto m = c.Receive(1s);
    if (!m) continue;
    if (((*m)["type"] == "ack" || (*m)["type"] == "error") && m->value("id", "") == id) return *m;
    if ((*m)["type"] == "ping") c.Send({{"type", "pong"}, {"ts", sp::proto::NowMs()}});
  }
  FAIL("no answer to " << id);
  return {};
}

// The next server-event, acked.
nlohmann::json NextEvent(WireClient& c) {
  auto m = c.ReceiveType("server-event", 5s);
  REQUIRE(m);
  c.Ack((*m)["eventId"]);
  return (*m)["event"];
}

}  // namespace

TEST_CASE("a direct message reaches its target with a from the sender cannot forge") {
  MessagingEnv env;
  auto a = env.Join("alice");
  env.Provision("bob");
  // Bob is offline: the message waits in his stream.
  auto msg = To("bob", "hi bob");
  REQUIRE(a->Send(msg));
  CHECK(AnswerTo(*a, msg["id"])["type"] == "ack");
  CHECK(env.redis.Integer({"XLEN", "sp:{bob}:events"}) == 1);
  auto b = env.Join("bob");
  auto event = NextEvent(*b);
  CHECK(event["data"] == "hi bob");
  CHECK(event["from"] == "alice");
  CHECK(event["type"] == "chat");
  // The sender cannot write "from" itself: refused, nothing stored.
  auto forged = To("bob", "from mallory");
  forged["event"]["from"] = "carol";
  REQUIRE(a->Send(forged));
  auto err = a->ReceiveType("error", 5s);
  REQUIRE(err);
  CHECK((*err)["code"] == "bad_message");
  CHECK(env.Eventually([&] { return env.redis.Integer({"XLEN", "sp:{bob}:events"}) == 0; }));
}

TEST_CASE("a direct message to an unknown id is refused by name and the connection stays open") {
  MessagingEnv env;
  auto a = env.Join("alice");
  auto msg = To("nobody", "anyone there?");
  REQUIRE(a->Send(msg));
  auto answer = AnswerTo(*a, msg["id"]);
  CHECK(answer["type"] == "error");
  CHECK(answer["code"] == "unknown_target");
  CHECK(answer["retry"] == false);
  CHECK(env.redis.Integer({"EXISTS", "sp:{nobody}:events"}) == 0);
  env.Provision("bob");
  auto ok = To("bob", "still here");
  REQUIRE(a->Send(ok));
  CHECK(AnswerTo(*a, ok["id"])["type"] == "ack");
}

TEST_CASE("a direct message resent with its id is stored once") {
  MessagingEnv env;
  auto a = env.Join("alice");
  env.Provision("bob");
  auto msg = To("bob", "once", "same-id");
  for (int i = 0; i < 3; ++i) {
    REQUIRE(a->Send(msg));
    CHECK(AnswerTo(*a, "same-id")["type"] == "ack");
  }
  CHECK(env.redis.Integer({"XLEN", "sp:{bob}:events"}) == 1);
}

TEST_CASE("direct-message policies: none, only to a group's members, and a record change") {
  MessagingEnv env;
  env.Provision("alice");
  env.Provision("bob");
  env.Provision("carol");
  env.Group("staff", {"bob"});
  env.redis.Command({"HSET", "sp:{alice}:client", "direct", "group:staff"});
  auto a = env.Join("alice");
  auto to_staff = To("bob", "ok");
  REQUIRE(a->Send(to_staff));
  CHECK(AnswerTo(*a, to_staff["id"])["type"] == "ack");
  auto to_other = To("carol", "not ok");
  REQUIRE(a->Send(to_other));
  auto refused = AnswerTo(*a, to_other["id"]);
  CHECK(refused["code"] == "forbidden");
  CHECK(refused["message"].get<std::string>().find("staff") != std::string::npos);
  // The server follows record changes of live sessions.
  env.redis.Command({"HSET", "sp:{alice}:client", "direct", "none"});
  CHECK(sp::testkit::Eventually(
      [&] {
        auto m = To("bob", "now?");
        a->Send(m);
        return AnswerTo(*a, m["id"])["type"] == "error";
      },
      5s, 200ms));
  CHECK(env.redis.Integer({"XLEN", "sp:{carol}:events"}) == 0);
}

TEST_CASE("a group message reaches every other member once, with from and to") {
  MessagingEnv env({"--max-group-members", "3"});
  auto a = env.Join("alice");
  auto b = env.Join("bob");
  auto c = env.Join("carol");
  env.Group("lobby", {"alice", "bob", "carol"});
  auto msg = To("group:lobby", "hello room");
  REQUIRE(a->Send(msg));
  CHECK(AnswerTo(*a, msg["id"])["type"] == "ack");
  for (WireClient* member : {b.get(), c.get()}) {
    auto e = NextEvent(*member);
    CHECK(e["data"] == "hello room");
    CHECK(e["from"] == "alice");
    CHECK(e["to"] == "group:lobby");
  }
  CHECK(env.redis.Integer({"XLEN", "sp:{alice}:events"}) == 0);  // not to the sender
  // A resend adds nothing.
  REQUIRE(a->Send(msg));
  CHECK(AnswerTo(*a, msg["id"])["type"] == "ack");
  CHECK_FALSE(b->ReceiveType("server-event", 500ms));

  SUBCASE("a non-member may not send to it (policy: member)") {
    auto d = env.Join("dave");
    auto m = To("group:lobby", "let me in");
    REQUIRE(d->Send(m));
    CHECK(AnswerTo(*d, m["id"])["code"] == "forbidden");
  }
  SUBCASE("an empty group is an unknown target") {
    auto m = To("group:empty", "echo?");
    REQUIRE(a->Send(m));
    CHECK(AnswerTo(*a, m["id"])["code"] == "unknown_target");
  }
  SUBCASE("a group over max_group_members is refused") {
    env.Provision("erin");
    env.Group("lobby", {"erin"});
    auto m = To("group:lobby", "too many");
    REQUIRE(a->Send(m));
    CHECK(AnswerTo(*a, m["id"])["code"] == "group_too_large");
  }
}

TEST_CASE("a full stream refuses direct messages with target_full, retry later") {
  MessagingEnv env({"--max-queued-events", "2"});
  auto a = env.Join("alice");
  env.Provision("bob");
  for (int i = 0; i < 2; ++i) {
    auto m = To("bob", std::to_string(i));
    REQUIRE(a->Send(m));
    CHECK(AnswerTo(*a, m["id"])["type"] == "ack");
  }
  auto m = To("bob", "one too many");
  REQUIRE(a->Send(m));
  auto answer = AnswerTo(*a, m["id"]);
  CHECK(answer["code"] == "target_full");
  CHECK(answer["retry"] == true);
}

TEST_CASE("presence notices: joined and left once per session change, not on a replacement") {
  MessagingEnv env;
  env.Provision("alice");
  env.Provision("bob");
  env.Group("lobby", {"alice", "bob"}, /*presence=*/true);
  auto a = env.Join("alice");
  {
    auto b = env.Join("bob");
    auto joined = NextEvent(*a);
    CHECK(joined["type"] == "presence");
    CHECK(joined["data"] == "joined");
    CHECK(joined["client"] == "bob");
    CHECK(joined["group"] == "lobby");
    // A second session of bob replaces the first: no change for the group.
    auto b2 = env.Join("bob");
    CHECK_FALSE(a->ReceiveType("server-event", 700ms));
  }
  auto left = NextEvent(*a);
  CHECK(left["data"] == "left");
  CHECK(left["client"] == "bob");
  CHECK_FALSE(a->ReceiveType("server-event", 700ms));  // exactly one
}

TEST_CASE("the server answers echo, time and who itself, as replies in the stream") {
  MessagingEnv env;
  auto a = env.Join("alice");
  env.Provision("bob");
  env.Group("lobby", {"alice", "bob"});
  auto echo = Ask("echo", {{"x", 1}, {"y", "z"}});
  REQUIRE(a->Send(echo));
  CHECK(AnswerTo(*a, echo["id"])["type"] == "ack");
  auto reply = NextEvent(*a);
  CHECK(reply["type"] == "reply");
  CHECK(reply["re"] == echo["id"]);
  CHECK(nlohmann::json::parse(reply["data"].get<std::string>()) == echo["params"]);
  CHECK(std::stoll(reply["serverTs"].get<std::string>()) > 0);
  CHECK_FALSE(reply.contains("from"));

  auto time = Ask("time", nullptr);
  REQUIRE(a->Send(time));
  auto t = NextEvent(*a);
  CHECK(t["re"] == time["id"]);
  CHECK(std::abs(std::stoll(t["data"].get<std::string>()) - sp::proto::NowMs()) < 60000);
  CHECK(t["iso"].get<std::string>().size() == 24);

  auto who = Ask("who", {{"group", "lobby"}});
  REQUIRE(a->Send(who));
  auto w = NextEvent(*a);
  auto members = nlohmann::json::parse(w["data"].get<std::string>());
  std::map<std::string, bool> online;
  for (const auto& m : members) online[m["id"]] = m["online"];
  CHECK(online == std::map<std::string, bool>{{"alice", true}, {"bob", false}});
  // Params the server method cannot use: refused by name, the session stays.
  auto bad = Ask("who", nlohmann::json::object());
  REQUIRE(a->Send(bad));
  auto refused = AnswerTo(*a, bad["id"]);
  CHECK(refused["code"] == "bad_params");
  auto again = Ask("time", nullptr);
  REQUIRE(a->Send(again));
  CHECK(AnswerTo(*a, again["id"])["type"] == "ack");
}

TEST_CASE("other methods go to sp:requests:<method>; a worker's reply comes back by re") {
  MessagingEnv env({"--request-methods", "query,report"});
  auto a = env.Join("alice");
  auto q = Ask("query", "SetA-Two");
  REQUIRE(a->Send(q));
  CHECK(AnswerTo(*a, q["id"])["type"] == "ack");
  auto entries = env.redis.Command({"XRANGE", "sp:requests:query", "-", "+"});
  REQUIRE(entries->elements == 1);
  std::map<std::string, std::string> fields;
  auto* body = entries->element[0]->element[1];
  for (size_t f = 0; f + 1 < body->elements; f += 2)
    fields[body->element[f]->str] = body->element[f + 1]->str;
  CHECK(fields["client"] == "alice");
  CHECK(fields["id"] == q["id"]);
  CHECK(fields["method"] == "query");
  CHECK(fields["params"] == "\"SetA-Two\"");
  // The worker's answer: any XADD into the client's stream with re.
  env.redis.Command(
      {"XADD", "sp:{alice}:events", "*", "type", "reply", "re", fields["id"], "data", "END"});
  auto reply = NextEvent(*a);
  CHECK(reply["re"] == q["id"]);
  CHECK(reply["data"] == "END");
  // Not in --request-methods: refused, nothing stored.
  auto other = Ask("delete_everything", nullptr);
  REQUIRE(a->Send(other));
  CHECK(AnswerTo(*a, other["id"])["code"] == "forbidden");
  CHECK(env.redis.Integer({"EXISTS", "sp:requests:delete_everything"}) == 0);
}
