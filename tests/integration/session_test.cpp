// Sessions end to end: client-events, heartbeats, one session per client,
// presence, usage counters, limits and metrics.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <set>
#include <string_view>
#include <thread>

#include "shared/messages.h"
#include "tests/support/http_get.h"
#include "tests/support/server_env.h"
#include "tests/support/temp_dir.h"

using namespace sp::testkit;
using namespace std::chrono_literals;

namespace {

using Env = ServerEnv;

nlohmann::json ClientEvent(const std::string& id, const std::string& type,
                           const std::string& data) {
  return {{"type", "client-event"},
          {"ts", sp::proto::NowMs()},
          {"id", id},
          {"event", {{"type", type}, {"data", data}}}};
}

// How many XREADGROUP commands the Redis on `port` has served (INFO commandstats).
long long XreadgroupCalls(int port) {
  std::string info;
  if (Run({"redis-cli", "-p", std::to_string(port), "INFO", "commandstats"}, &info) != 0) return -1;
  constexpr std::string_view kStat = "cmdstat_xreadgroup:calls=";
  size_t at = info.find(kStat);
  return at == std::string::npos ? 0 : std::atoll(info.c_str() + at + kStat.size());
}

}  // namespace

TEST_CASE("a client-event lands in sp:inbound and is acked only after Redis has it") {
  Env env;
  auto key = sp::crypto::GenerateKeyPair();
  env.redis.Provision("dev1", key);
  auto c = env.Connect("dev1", key);
  REQUIRE(c->Send(ClientEvent("c-1", "telemetry", "21.5C")));
  auto ack = c->ReceiveType("ack", 5s);
  REQUIRE(ack);
  CHECK((*ack)["id"] == "c-1");
  auto entries = env.redis.Command({"XRANGE", "sp:inbound", "-", "+"});
  REQUIRE(entries->elements == 1);
  std::string fields;
  auto* body = entries->element[0]->element[1];
  for (size_t i = 0; i < body->elements; ++i) fields += std::string(body->element[i]->str) + " ";
  CHECK(fields.find("client dev1 id c-1") != std::string::npos);
  CHECK(fields.find("type telemetry") != std::string::npos);
  CHECK(fields.find("data 21.5C") != std::string::npos);
}

TEST_CASE("nothing is written under a client's name before the registry accepted it") {
  Env env({"--usage-flush-ms", "100"});
  auto key = sp::crypto::GenerateKeyPair();
  auto victim_key = sp::crypto::GenerateKeyPair();
  env.redis.Provision("victim", victim_key);
  WireClient stranger;  // an id nobody provisioned
  REQUIRE(stranger.Connect(env.server.Port()));
  CHECK(stranger.Handshake(env.server.PublicKey(), key, "nobody-42") == "unknown_client");
  WireClient impostor;  // a real id, the wrong key
  REQUIRE(impostor.Connect(env.server.Port()));
  CHECK(impostor.Handshake(env.server.PublicKey(), key, "victim") == "unknown_client");
  // A real session's counters reach Redis: usage flushes are running...
  env.redis.Provision("real", key);
  auto real = env.Connect("real", key);
  REQUIRE(env.Eventually([&] { return env.redis.Integer({"EXISTS", "sp:{real}:usage"}) == 1; }));
  // ...and the refused ones left nothing at all.
  CHECK(env.redis.Integer({"EXISTS", "sp:{nobody-42}:usage"}) == 0);
  CHECK(env.redis.Integer({"EXISTS", "sp:{victim}:usage"}) == 0);
  auto keys = env.redis.Command({"KEYS", "sp:{nobody-42}*"});
  CHECK(keys->elements == 0);
}

TEST_CASE("a refused client changes no delivery count, epoch or presence of the real one") {
  Env env;
  auto key = sp::crypto::GenerateKeyPair();
  env.redis.Provision("owner", key);
  std::string id = env.redis.Xadd("owner", "t", "x");
  {
    auto c = env.Connect("owner", key);
    auto ev = c->ReceiveType("server-event", 5s);  // delivered once, never acked
    REQUIRE(ev);
  }
  auto pending_count = [&] {
    auto r = env.redis.Command({"XPENDING", "sp:{owner}:events", "sealpost", id, id, "1"});
    return r->elements == 1 ? r->element[0]->element[3]->integer : -1;
  };
  REQUIRE(env.Eventually([&] {
    return env.redis.Integer({"EXISTS", "sp:{owner}:presence"}) == 0;
  }));
  long long count = pending_count();
  std::string epoch = env.redis.String({"GET", "sp:{owner}:epoch"});
  REQUIRE(count >= 1);
  for (int i = 0; i < 3; ++i) {
    WireClient impostor;  // the right id, another key
    REQUIRE(impostor.Connect(env.server.Port()));
    CHECK(impostor.Handshake(env.server.PublicKey(), sp::crypto::GenerateKeyPair(), "owner") ==
          "unknown_client");
  }
  env.redis.Command({"HSET", "sp:{owner}:client", "disabled", "1"});
  WireClient disabled;  // the right key, but disabled
  REQUIRE(disabled.Connect(env.server.Port()));
  CHECK(disabled.Handshake(env.server.PublicKey(), key, "owner") == "client_disabled");
  CHECK(pending_count() == count);
  CHECK(env.redis.String({"GET", "sp:{owner}:epoch"}) == epoch);
  CHECK(env.redis.Integer({"EXISTS", "sp:{owner}:presence"}) == 0);
  // Enabled again, the owner gets the event with the next attempt number.
  env.redis.Command({"HSET", "sp:{owner}:client", "disabled", "0"});
  auto c = env.Connect("owner", key);
  auto ev = c->ReceiveType("server-event", 5s);
  REQUIRE(ev);
  CHECK((*ev)["eventId"] == id);
  CHECK((*ev)["attempt"] == count + 1);
}

TEST_CASE("a live session ends within a second when its client is disabled, rekeyed or removed") {
  Env env;
  struct Change {
    const char* name;
    std::vector<std::string> command;  // {CLIENT} stands for the record's key
    const char* code;
  };
  auto other = sp::crypto::GenerateKeyPair();
  std::vector<Change> changes = {
      {"disabled", {"HSET", "{CLIENT}", "disabled", "1"}, "client_disabled"},
      {"rekeyed", {"HSET", "{CLIENT}", "pk", sp::crypto::PublicKeyBase64(other)}, "revoked"},
      {"removed", {"DEL", "{CLIENT}"}, "revoked"},
  };
  for (const Change& change : changes) {
    CAPTURE(change.name);
    auto key = sp::crypto::GenerateKeyPair();
    std::string id = std::string("dev-") + change.name;
    env.redis.Provision(id, key);
    auto c = env.Connect(id, key);
    auto bystander_key = sp::crypto::GenerateKeyPair();
    env.redis.Provision(id + "-other", bystander_key);
    auto bystander = env.Connect(id + "-other", bystander_key);
    std::vector<std::string> command = change.command;
    command[1] = "sp:{" + id + "}:client";
    env.redis.Command(command);
    auto start = std::chrono::steady_clock::now();
    auto error = c->ReceiveType("error", 3s);
    REQUIRE(error);
    CHECK(std::chrono::steady_clock::now() - start < 1s);
    CHECK((*error)["code"] == change.code);
    CHECK(c->WaitClosed(3s));
    // Another client's session is untouched, and a record that still admits
    // its client (an unrelated field written) does not end a session.
    env.redis.Command({"HSET", "sp:{" + id + "-other}:client", "note", "x"});
    CHECK_FALSE(bystander->WaitClosed(500ms));
  }
}

TEST_CASE(
    "inbound quota: over the per-second and per-day quota of its record, a client-event "
    "gets error quota and is not stored") {
  Env env;
  auto key = sp::crypto::GenerateKeyPair();
  env.redis.Provision("chatty", key);
  env.redis.Command(
      {"HSET", "sp:{chatty}:client", "quota_events_per_s", "5", "quota_events_per_day", "12"});
  auto c = env.Connect("chatty", key);
  // 30 at once: the burst (2 x 5) is stored, the rest refused for now.
  for (int i = 0; i < 30; ++i) REQUIRE(c->Send(ClientEvent("a-" + std::to_string(i), "t", "x")));
  int acked = 0;
  int refused = 0;
  while (acked + refused < 30) {
    auto m = c->Receive(5s);
    REQUIRE(m);
    INFO(m->dump());
    if ((*m)["type"] == "ack") acked++;
    if ((*m)["type"] == "error") {
      CHECK((*m)["code"] == "quota");
      CHECK((*m)["retry"] == true);
      CHECK((*m)["id"].get<std::string>().rfind("a-", 0) == 0);
      refused++;
    }
  }
  CHECK(acked == 10);
  CHECK(env.redis.Integer({"XLEN", "sp:inbound"}) == 10);
  // Later, one at a time: two more fit the day (12), then the day is used up.
  std::this_thread::sleep_for(1s);  // the per-second allowance refills: the point of the test
  for (int i = 0; i < 3; ++i) REQUIRE(c->Send(ClientEvent("b-" + std::to_string(i), "t", "x")));
  // Answers may come in any order: a refusal needs one round trip, an ack two.
  std::map<std::string, std::string> answers;  // id -> ack | quota
  while (answers.size() < 3) {
    auto m = c->Receive(5s);
    REQUIRE(m);
    if ((*m)["type"] == "ack") answers[(*m)["id"]] = "ack";
    if ((*m)["type"] == "error") {
      CHECK((*m)["code"] == "quota");
      CHECK((*m)["retry"] == false);
      answers[(*m)["id"]] = "quota";
    }
  }
  CHECK(answers["b-0"] == "ack");
  CHECK(answers["b-1"] == "ack");
  CHECK(answers["b-2"] == "quota");
  CHECK(env.redis.Integer({"XLEN", "sp:inbound"}) == 12);
  CHECK_FALSE(c->Closed());  // a quota refusal keeps the session
}

TEST_CASE("a client cannot speak for another: server field names in a client-event are refused") {
  Env env;
  auto key = sp::crypto::GenerateKeyPair();
  env.redis.Provision("mallory", key);
  for (const char* field : {"client", "id", "ts", "from"}) {
    CAPTURE(field);
    auto c = env.Connect("mallory", key);
    nlohmann::json forged = ClientEvent("c-1", "say", "hi");
    forged["event"][field] = "victim";
    REQUIRE(c->Send(forged));
    auto error = c->ReceiveType("error", 5s);
    REQUIRE(error);
    CHECK((*error)["code"] == "bad_message");
    CHECK((*error)["message"].get<std::string>().find("reserved for the server") !=
          std::string::npos);
    CHECK(c->WaitClosed(3s));
  }
  CHECK(env.redis.Integer({"XLEN", "sp:inbound"}) == 0);  // nothing forged was stored
}

TEST_CASE(
    "Redis down: the connection stays, client-events get a retryable error, delivery "
    "resumes when Redis is back") {
  Env env;
  auto key = sp::crypto::GenerateKeyPair();
  env.redis.Provision("d", key);
  auto c = env.Connect("d", key);
  env.redis.Restart();  // comes back empty: no AOF in this test
  // While the server reconnects, the first client-event may meet a down link.
  env.redis.Provision("d", key);
  REQUIRE(c->Send(ClientEvent("c-2", "t", "x")));
  auto reply = c->Receive(5s);
  while (reply && (*reply)["type"] == "ping") reply = c->Receive(5s);
  REQUIRE(reply);
  if ((*reply)["type"] == "error") {
    CHECK((*reply)["code"] == "unavailable");
    CHECK((*reply)["retry"] == true);
  } else {
    CHECK((*reply)["type"] == "ack");
  }
  std::string id = env.redis.Xadd("d", "after", "restart");
  auto m = c->ReceiveType("server-event", 10s);
  REQUIRE(m);
  CHECK((*m)["eventId"] == id);
  CHECK_FALSE(c->Closed());
}

TEST_CASE("a client that stops answering pings is closed after the heartbeat timeout") {
  Env env({"--heartbeat-interval-ms", "100", "--heartbeat-timeout-ms", "400"});
  auto key = sp::crypto::GenerateKeyPair();
  env.redis.Provision("hb", key);
  auto silent = env.Connect("hb", key);
  // Receive (and ignore) pings without answering.
  auto ping = silent->Receive(2s);
  REQUIRE(ping);
  CHECK((*ping)["type"] == "ping");
  CHECK(silent->WaitClosed(3s));
}

TEST_CASE("a client that answers pings stays connected") {
  Env env({"--heartbeat-interval-ms", "100", "--heartbeat-timeout-ms", "400"});
  auto key = sp::crypto::GenerateKeyPair();
  env.redis.Provision("hb2", key);
  auto c = env.Connect("hb2", key);
  auto deadline = std::chrono::steady_clock::now() + 1500ms;
  int pings = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    auto m = c->Receive(200ms);
    if (m && (*m)["type"] == "ping") {
      ++pings;
      c->Send({{"type", "pong"}, {"ts", sp::proto::NowMs()}, {"echo", (*m)["ts"]}});
    }
  }
  CHECK(pings >= 5);
  CHECK_FALSE(c->Closed());
}

TEST_CASE("a new session for the same client replaces the old one and gets its unacked events") {
  Env env;
  auto key = sp::crypto::GenerateKeyPair();
  env.redis.Provision("twin", key);
  auto first = env.Connect("twin", key);
  std::string id = env.redis.Xadd("twin", "t", "one");
  auto m = first->ReceiveType("server-event", 5s);
  REQUIRE(m);  // received, never acked
  auto second = env.Connect("twin", key);
  auto err = first->ReceiveType("error", 5s);
  REQUIRE(err);
  CHECK((*err)["code"] == "replaced");
  CHECK(first->WaitClosed(3s));
  auto again = second->ReceiveType("server-event", 5s);
  REQUIRE(again);
  CHECK((*again)["eventId"] == id);
  CHECK((*again)["attempt"] == 2);
}

TEST_CASE("presence names the node while connected and disappears after") {
  Env env;
  auto key = sp::crypto::GenerateKeyPair();
  env.redis.Provision("p1", key);
  std::string node;  // this server, or the worker the client landed on
  {
    auto c = env.Connect("p1", key);
    CHECK(env.Eventually([&] {
      node = env.redis.String({"HGET", "sp:{p1}:presence", "node"});
      return IsNodeOf(node, env.server);
    }));
    std::string node_clients = "sp:node:" + node + ":clients";
    // Batched per loop iteration: it may land just after the welcome.
    CHECK(env.Eventually([&] { return env.redis.Integer({"HEXISTS", node_clients, "p1"}) == 1; }));
    CHECK(env.redis.Integer({"PTTL", node_clients}) > 0);  // expires if the node dies
  }
  CHECK(env.Eventually([&] { return env.redis.Integer({"EXISTS", "sp:{p1}:presence"}) == 0; }));
  CHECK(env.Eventually([&] {
    return env.redis.Integer({"HEXISTS", "sp:node:" + node + ":clients", "p1"}) == 0;
  }));
  CHECK(env.redis.Integer({"EXISTS", "sp:node:" + node}) == 1);
}

TEST_CASE("usage counters are flushed to sp:{ID}:usage") {
  Env env({"--usage-flush-ms", "100"});
  auto key = sp::crypto::GenerateKeyPair();
  env.redis.Provision("u1", key);
  auto c = env.Connect("u1", key);
  for (int i = 0; i < 3; ++i) env.redis.Xadd("u1", "t", "x");
  for (int i = 0; i < 3; ++i) {
    auto m = c->ReceiveType("server-event", 5s);
    REQUIRE(m);
    c->Ack((*m)["eventId"]);
  }
  CHECK(env.Eventually([&] {
    return env.redis.String({"HGET", "sp:{u1}:usage", "acked"}) == "3" &&
           env.redis.String({"HGET", "sp:{u1}:usage", "delivered"}) == "3";
  }));
  CHECK(env.redis.String({"HGET", "sp:{u1}:usage", "connects"}) == "1");
  CHECK(std::stoll(env.redis.String({"HGET", "sp:{u1}:usage", "bytes_out"})) > 0);
}

TEST_CASE("an ack for an unknown or foreign event acks nothing") {
  Env env;
  auto ka = sp::crypto::GenerateKeyPair();
  auto kb = sp::crypto::GenerateKeyPair();
  env.redis.Provision("a", ka);
  env.redis.Provision("b", kb);
  auto a = env.Connect("a", ka);
  auto b = env.Connect("b", kb);
  std::string for_b = env.redis.Xadd("b", "t", "mine");
  auto m = b->ReceiveType("server-event", 5s);
  REQUIRE(m);
  REQUIRE(a->Ack(for_b));  // a tries to ack b's event
  auto err = a->ReceiveType("error", 5s);
  REQUIRE(err);
  CHECK((*err)["code"] == "unknown_event");
  CHECK_FALSE(a->Closed());
  auto pending = env.redis.Command({"XPENDING", "sp:{b}:events", "sealpost"});
  CHECK(pending->element[0]->integer == 1);
}

TEST_CASE("over-long frames and message floods are refused with a clear error") {
  Env env({"--max-frame-bytes", "1024", "--client-rate", "5"});
  auto key = sp::crypto::GenerateKeyPair();
  env.redis.Provision("big", key);
  SUBCASE("frame too large") {
    WireClient raw;
    REQUIRE(raw.Connect(env.server.Port()));
    raw.SendRawFrame(std::string(5000, 'A'));
    auto m = raw.Receive(3s);
    REQUIRE(m);
    CHECK((*m)["code"] == "frame_too_large");
    CHECK(raw.WaitClosed(3s));
  }
  SUBCASE("rate limit") {
    auto c = env.Connect("big", key);
    for (int i = 0; i < 30; ++i) c->Send({{"type", "ping"}, {"ts", sp::proto::NowMs()}});
    auto err = c->ReceiveType("error", 3s);
    REQUIRE(err);
    CHECK((*err)["code"] == "rate_limited");
    CHECK(c->WaitClosed(3s));
  }
}

TEST_CASE("a disabled client is refused") {
  Env env;
  auto key = sp::crypto::GenerateKeyPair();
  env.redis.Provision("off", key);
  env.redis.Command({"HSET", "sp:{off}:client", "disabled", "1"});
  WireClient c;
  REQUIRE(c.Connect(env.server.Port()));
  CHECK(c.Handshake(env.server.PublicKey(), key, "off") == "client_disabled");
  // The refused connection's close deadline (2 s) passes: the server must
  // have forgotten it (under ASan this caught a use after free). The wait is
  // the test: no condition to poll for, the deadline itself has to pass.
  std::this_thread::sleep_for(2500ms);
  CHECK(env.server.Proc().Running());
}

TEST_CASE("a silent socket is closed after the handshake timeout") {
  Env env({"--handshake-timeout-ms", "300"});
  WireClient c;
  REQUIRE(c.Connect(env.server.Port()));
  CHECK(c.WaitClosed(3s));
}

TEST_CASE("SIGTERM: goaway to clients, drain, exit 0") {
  Env env({"--drain-timeout-ms", "500"});
  auto key = sp::crypto::GenerateKeyPair();
  env.redis.Provision("g", key);
  auto c = env.Connect("g", key);
  kill(env.server.Proc().Pid(), SIGTERM);
  auto goaway = c->ReceiveType("goaway", 5s);
  REQUIRE(goaway);
  CHECK((*goaway)["reason"] == "shutdown");
  CHECK((*goaway)["reconnectMs"].get<int64_t>() >= 0);
  CHECK(env.server.Proc().Wait(10s) == 0);
}

TEST_CASE("metrics are served in Prometheus text format") {
  int metrics_port = FreePort();
  Env env({"--metrics-listen", "127.0.0.1:" + std::to_string(metrics_port)});
  auto key = sp::crypto::GenerateKeyPair();
  env.redis.Provision("m", key);
  auto c = env.Connect("m", key);
  REQUIRE(WaitForPort(metrics_port, 5s));
  std::string body = HttpGet(metrics_port, "/metrics").raw;
  CHECK(body.find("200 OK") != std::string::npos);
  CHECK(body.find("sealpost_sessions 1") != std::string::npos);
  CHECK(body.find("sealpost_redis_up 1") != std::string::npos);
  CHECK(HttpGet(metrics_port, "/nope").status == 404);
}

TEST_CASE("without keyspace notifications (CONFIG disabled) delivery falls back to polling") {
  // A Redis where CONFIG is renamed away, as on many managed services.
  int port = FreePort();
  TempDir dir;  // declared first: the processes writing into it stop before it goes
  Process redis({"redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1", "--dir",
                 dir.Path(), "--save", "", "--rename-command", "CONFIG", ""},
                dir.File("redis"));
  REQUIRE(WaitForPort(port, 5s));
  REQUIRE(sp::crypto::InitCrypto());
  auto server_key = sp::crypto::GenerateKeyPair();
  REQUIRE(sp::crypto::WriteKeyFile(dir.File("s.key"), server_key) == sp::crypto::KeyFileError::Ok);
  int listen = FreePort();
  Process server({BinDir() + "/sealpost-server", "--listen", "127.0.0.1:" + std::to_string(listen),
                  "--redis", "redis://127.0.0.1:" + std::to_string(port), "--key-file",
                  dir.File("s.key"), "--env-file", "/dev/null", "--poll-interval-ms", "100"},
                 dir.File("server"));
  REQUIRE(WaitForPort(listen, 5s));
  REQUIRE(server.WaitForOutput("fallback=polling", 5s));
  auto key = sp::crypto::GenerateKeyPair();
  std::string cli = "redis-cli -p " + std::to_string(port) + " ";
  REQUIRE(Run({"sh", "-c",
               cli + "HSET 'sp:{poll}:client' pk '" + sp::crypto::PublicKeyBase64(key) +
                   "' > /dev/null"}) == 0);
  WireClient c;
  REQUIRE(c.Connect(listen));
  REQUIRE(c.Handshake(sp::crypto::PublicKeyBase64(server_key), key, "poll") == "");
  // Connected and idle: the session's first read is done and a poll has run
  // since (a second XREADGROUP), so only polling can find the next event.
  REQUIRE(Eventually([&] { return XreadgroupCalls(port) >= 2; }));
  REQUIRE(Run({"sh", "-c", cli + "XADD 'sp:{poll}:events' '*' type t data polled > /dev/null"}) ==
          0);
  auto m = c.ReceiveType("server-event", 5s);
  REQUIRE(m);
  CHECK((*m)["event"]["data"] == "polled");
  server.Stop();
  redis.Stop();
}

TEST_CASE("one session per client across nodes: a session on node B closes the one on node A") {
  Env env;
  Server node_b(env.redis);
  auto key = sp::crypto::GenerateKeyPair();
  env.redis.Provision("roamer", key);
  auto on_a = env.Connect("roamer", key);
  std::string id = env.redis.Xadd("roamer", "t", "unacked");
  REQUIRE(on_a->ReceiveType("server-event", 5s));
  WireClient on_b;
  REQUIRE(on_b.Connect(node_b.Port()));
  REQUIRE(on_b.Handshake(node_b.PublicKey(), key, "roamer") == "");
  auto err = on_a->ReceiveType("error", 5s);
  REQUIRE(err);
  CHECK((*err)["code"] == "replaced");
  auto again = on_b.ReceiveType("server-event", 5s);
  REQUIRE(again);
  CHECK((*again)["eventId"] == id);
  CHECK(env.Eventually([&] {
    return IsNodeOf(env.redis.String({"HGET", "sp:{roamer}:presence", "node"}), node_b);
  }));
}

TEST_CASE("Redis dropping the server's connections under load: the server notices and recovers") {
  Env env;
  auto key = sp::crypto::GenerateKeyPair();
  env.redis.Provision("kill", key);
  auto c = env.Connect("kill", key);
  std::set<std::string> sent;
  std::set<std::string> seen;
  for (int round = 0; round < 4; ++round) {
    for (int i = 0; i < 50; ++i) sent.insert(env.redis.Xadd("kill", "t", std::to_string(i)));
    // Drops every client connection, the server's links included.
    Run({"redis-cli", "-p", std::to_string(env.redis.Port()), "CLIENT", "KILL", "TYPE", "normal"});
    Run({"redis-cli", "-p", std::to_string(env.redis.Port()), "CLIENT", "KILL", "TYPE", "pubsub"});
    auto deadline = std::chrono::steady_clock::now() + 200ms;
    while (std::chrono::steady_clock::now() < deadline) {
      auto m = c->ReceiveType("server-event", 50ms);
      if (!m) continue;
      seen.insert((*m)["eventId"].get<std::string>());
      c->Ack((*m)["eventId"]);
    }
  }
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (seen.size() < sent.size() && std::chrono::steady_clock::now() < deadline) {
    auto m = c->ReceiveType("server-event", 1s);
    if (!m) continue;
    seen.insert((*m)["eventId"].get<std::string>());
    c->Ack((*m)["eventId"]);
  }
  CHECK(seen == sent);
  CHECK_FALSE(c->Closed());
}
