// The client library against a scripted server (fake_server.h): delivery and
// acks, duplicate suppression, ping, client-events, refusals and reconnects.
#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <map>
#include <optional>

#include "client/sealpost_client.h"
#include "tests/client/fake_server.h"
#include "tests/support/temp_dir.h"

using sealpost::test::FakeServer;
using sealpost::test::RunUntil;
using json = nlohmann::json;

namespace {

// Declared first in each test so it is destroyed last, after every handle
// on it was closed by the client and the server.
struct TestLoop {
  uv_loop_t loop;
  TestLoop() {
    REQUIRE(sp::crypto::InitCrypto());
    uv_loop_init(&loop);
  }
  ~TestLoop() {
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
  }
};

struct Recorder {
  int connected = 0;
  std::vector<sealpost::Event> events;
  std::vector<std::string> acks;
  std::vector<sealpost::ClientError> errors;
  std::vector<std::string> disconnects;

  sealpost::ClientCallbacks Callbacks() {
    sealpost::ClientCallbacks cb;
    cb.on_connected = [this](const sealpost::Welcome&) { connected++; };
    cb.on_event = [this](const sealpost::Event& e) { events.push_back(e); };
    cb.on_event_ack = [this](const std::string& id) { acks.push_back(id); };
    cb.on_error = [this](const sealpost::ClientError& e) { errors.push_back(e); };
    cb.on_disconnected = [this](const std::string& r) { disconnects.push_back(r); };
    return cb;
  }
};

sealpost::ClientOptions Options(const FakeServer& server, std::string pk = {}) {
  sealpost::ClientOptions o;
  o.server = server.Address();
  o.server_public_key = pk.empty() ? server.PublicKey() : pk;
  o.client_id = "c1";
  o.key = std::make_shared<sp::crypto::KeyPair>(sp::crypto::GenerateKeyPair());
  o.backoff_min_ms = 20;
  o.backoff_max_ms = 40;
  return o;
}

json ServerEvent(const std::string& id, const std::string& data) {
  return {{"type", "server-event"},
          {"ts", 5},
          {"eventId", id},
          {"attempt", 1},
          {"event", {{"type", "t"}, {"data", data}}}};
}

size_t Count(const std::vector<json>& messages, const std::string& type) {
  size_t n = 0;
  for (const json& m : messages) n += m["type"] == type;
  return n;
}

}  // namespace

TEST_CASE("client: handshake, welcome, then events are delivered once and acked each time") {
  TestLoop t;
  FakeServer server(&t.loop);
  Recorder rec;
  auto client = std::make_unique<sealpost::Client>(&t.loop, Options(server), rec.Callbacks());
  std::string error;
  REQUIRE(client->Start(&error));
  REQUIRE(RunUntil(
      &t.loop, [&] { return rec.connected == 1; }, 5000));
  CHECK(server.client_id == "c1");
  server.Send(ServerEvent("10-1", "a"));
  server.Send(ServerEvent("10-1", "a"));  // a redelivery: its first ack "was lost"
  server.Send(ServerEvent("10-2", "b"));
  REQUIRE(RunUntil(
      &t.loop, [&] { return Count(server.received, "ack") == 3; }, 5000));
  REQUIRE(rec.events.size() == 2);
  CHECK(rec.events[0].event_id == "10-1");
  CHECK(rec.events[0].Get("data") == "a");
  CHECK(rec.events[1].Get("data") == "b");
  CHECK(server.received[0]["eventId"] == "10-1");
  CHECK(server.received[1]["eventId"] == "10-1");
  CHECK(client->Stats().duplicates == 1);
  CHECK_FALSE(server.frame_before_welcome);
}

TEST_CASE("client: waits for welcome before sending anything after message 3") {
  TestLoop t;
  FakeServer server(&t.loop);
  server.on_authenticated = [](FakeServer&) {};  // the registry is "slow"
  Recorder rec;
  auto client = std::make_unique<sealpost::Client>(&t.loop, Options(server), rec.Callbacks());
  std::string error;
  REQUIRE(client->Start(&error));
  REQUIRE(client->SendEvent("t", "queued early"));
  RunUntil(
      &t.loop, [] { return false; }, 200);
  CHECK(server.received.empty());
  CHECK_FALSE(server.frame_before_welcome);
  server.Welcome();
  REQUIRE(RunUntil(
      &t.loop, [&] { return Count(server.received, "client-event") == 1; }, 5000));
}

TEST_CASE("client: answers ping with pong echoing its ts") {
  TestLoop t;
  FakeServer server(&t.loop);
  Recorder rec;
  auto client = std::make_unique<sealpost::Client>(&t.loop, Options(server), rec.Callbacks());
  std::string error;
  REQUIRE(client->Start(&error));
  REQUIRE(RunUntil(
      &t.loop, [&] { return rec.connected == 1; }, 5000));
  server.Send({{"type", "ping"}, {"ts", 12345}});
  REQUIRE(RunUntil(
      &t.loop, [&] { return Count(server.received, "pong") == 1; }, 5000));
  CHECK(server.received.back()["echo"] == 12345);
}

TEST_CASE("client: a client-event is kept until acked, resent after retryable errors") {
  TestLoop t;
  FakeServer server(&t.loop);
  int seen = 0;
  server.on_message = [&](FakeServer& s, const json& m) {
    if (m["type"] != "client-event") return;
    // First try: Redis is "down"; the second is stored and acknowledged.
    if (++seen == 1) {
      s.Send({{"type", "error"},
              {"ts", 1},
              {"code", "unavailable"},
              {"message", "later"},
              {"retry", true},
              {"id", m["id"]}});
    } else {
      s.Send({{"type", "ack"}, {"ts", 1}, {"id", m["id"]}});
    }
  };
  Recorder rec;
  auto client = std::make_unique<sealpost::Client>(&t.loop, Options(server), rec.Callbacks());
  std::string error;
  REQUIRE(client->Start(&error));
  auto sent = client->SendEvent("reading", "21.5", {{"unit", "C"}});
  REQUIRE(sent);
  REQUIRE(RunUntil(
      &t.loop, [&] { return rec.acks.size() == 1; }, 5000));
  CHECK(rec.acks[0] == sent.id);
  CHECK(seen == 2);
  CHECK(client->PendingSends() == 0);
  json event = server.received.back()["event"];
  CHECK(event["type"] == "reading");
  CHECK(event["unit"] == "C");
}

TEST_CASE("client: fields the server writes, and type/data twice, are refused before sending") {
  TestLoop t;
  FakeServer server(&t.loop);
  Recorder rec;
  auto client = std::make_unique<sealpost::Client>(&t.loop, Options(server), rec.Callbacks());
  std::string error;
  REQUIRE(client->Start(&error));
  for (const char* name : {"client", "id", "ts", "from", "type", "data"}) {
    CAPTURE(name);
    auto sent = client->SendEvent("say", "hi", {{name, "victim"}});
    CHECK_FALSE(sent);
    CHECK(sent.error.find("reserved") != std::string::npos);
  }
  CHECK(client->PendingSends() == 0);
}

TEST_CASE("client: a non-retryable refusal of a client-event is reported, not resent") {
  TestLoop t;
  FakeServer server(&t.loop);
  server.on_message = [](FakeServer& s, const json& m) {
    if (m["type"] == "client-event")
      s.Send({{"type", "error"},
              {"ts", 1},
              {"code", "event_too_large"},
              {"message", "no"},
              {"retry", false},
              {"id", m["id"]}});
  };
  Recorder rec;
  auto client = std::make_unique<sealpost::Client>(&t.loop, Options(server), rec.Callbacks());
  std::string error;
  REQUIRE(client->Start(&error));
  auto sent = client->SendEvent("t", "d");
  REQUIRE(RunUntil(
      &t.loop, [&] { return !rec.errors.empty(); }, 5000));
  CHECK(rec.errors[0].id == sent.id);
  CHECK(rec.errors[0].code == "event_too_large");
  CHECK_FALSE(rec.errors[0].fatal);
  CHECK(client->PendingSends() == 0);
}

TEST_CASE("client: the send queue is bounded") {
  TestLoop t;
  FakeServer server(&t.loop);
  Recorder rec;
  sealpost::ClientOptions o = Options(server);
  o.send_queue_limit = 2;
  auto client = std::make_unique<sealpost::Client>(&t.loop, o, rec.Callbacks());
  CHECK(client->SendEvent("t", "1"));
  CHECK(client->SendEvent("t", "2"));
  auto third = client->SendEvent("t", "3");
  CHECK_FALSE(third);
  CHECK(third.error.find("queue full") != std::string::npos);
}

TEST_CASE("client: a server with another key is refused for good") {
  TestLoop t;
  FakeServer server(&t.loop);
  Recorder rec;
  std::string other = sp::crypto::PublicKeyBase64(sp::crypto::GenerateKeyPair());
  auto client =
      std::make_unique<sealpost::Client>(&t.loop, Options(server, other), rec.Callbacks());
  std::string error;
  REQUIRE(client->Start(&error));
  REQUIRE(RunUntil(
      &t.loop, [&] { return !rec.errors.empty(); }, 5000));
  CHECK(rec.errors[0].code == "server_key_mismatch");
  CHECK(rec.errors[0].fatal);
  RunUntil(
      &t.loop, [] { return false; }, 200);  // no reconnect follows
  CHECK(server.connections == 1);
  CHECK(rec.connected == 0);
}

TEST_CASE("client: a plaintext refusal is never fatal: it may have been injected on the path") {
  TestLoop t;
  FakeServer server(&t.loop);
  int refusals = 0;
  const char* codes[] = {"unknown_client", "client_disabled", "unsupported_protocol"};
  server.instead_of_message2 = [&](FakeServer& s) {
    s.SendPlain({{"type", "error"}, {"ts", 1}, {"code", codes[refusals]}, {"message", "go away"}});
    s.Drop();
    if (++refusals == 3) s.instead_of_message2 = nullptr;  // then the real server answers
  };
  sealpost::ClientOptions o = Options(server);
  o.backoff_min_ms = 10;
  o.backoff_max_ms = 50;
  Recorder rec;
  auto client = std::make_unique<sealpost::Client>(&t.loop, o, rec.Callbacks());
  std::string error;
  REQUIRE(client->Start(&error));
  REQUIRE(RunUntil(
      &t.loop, [&] { return rec.connected == 1; }, 5000));
  REQUIRE(rec.errors.size() >= 3);
  for (int i = 0; i < 3; ++i) {
    CHECK(rec.errors[i].code == codes[i]);
    CHECK_FALSE(rec.errors[i].fatal);
  }
}

TEST_CASE("client: unknown_client stops reconnecting, unavailable is retried") {
  TestLoop t;
  FakeServer server(&t.loop);
  std::string code = "unavailable";
  server.on_authenticated = [&](FakeServer& s) {
    s.Send({{"type", "error"}, {"ts", 1}, {"code", code}, {"message", "x"}, {"retry", false}});
    s.Drop();
    code = "unknown_client";  // the next attempt is refused for good
  };
  Recorder rec;
  auto client = std::make_unique<sealpost::Client>(&t.loop, Options(server), rec.Callbacks());
  std::string error;
  REQUIRE(client->Start(&error));
  REQUIRE(RunUntil(
      &t.loop, [&] { return rec.errors.size() == 2; }, 5000));
  CHECK(rec.errors[0].code == "unavailable");
  CHECK_FALSE(rec.errors[0].fatal);
  CHECK(rec.errors[1].code == "unknown_client");
  CHECK(rec.errors[1].fatal);
  RunUntil(
      &t.loop, [] { return false; }, 200);
  CHECK(server.connections == 2);
}

TEST_CASE("client: reconnects after a drop and resends unacknowledged client-events") {
  TestLoop t;
  FakeServer server(&t.loop);
  server.on_message = [](FakeServer& s, const json& m) {
    if (m["type"] != "client-event") return;
    if (s.connections == 1)
      s.Drop();  // lost before the ack
    else
      s.Send({{"type", "ack"}, {"ts", 1}, {"id", m["id"]}});
  };
  Recorder rec;
  auto client = std::make_unique<sealpost::Client>(&t.loop, Options(server), rec.Callbacks());
  std::string error;
  REQUIRE(client->Start(&error));
  auto sent = client->SendEvent("t", "d");
  REQUIRE(RunUntil(
      &t.loop, [&] { return rec.acks.size() == 1; }, 5000));
  CHECK(server.connections == 2);
  CHECK(rec.connected == 2);
  CHECK(rec.disconnects.size() == 1);
  CHECK(Count(server.received, "client-event") == 2);
  CHECK(rec.acks[0] == sent.id);
}

TEST_CASE("client: goaway delays the reconnect by the server's reconnectMs") {
  TestLoop t;
  FakeServer server(&t.loop);
  Recorder rec;
  auto client = std::make_unique<sealpost::Client>(&t.loop, Options(server), rec.Callbacks());
  std::string error;
  REQUIRE(client->Start(&error));
  REQUIRE(RunUntil(
      &t.loop, [&] { return rec.connected == 1; }, 5000));
  server.Send({{"type", "goaway"}, {"ts", 1}, {"reason", "shutdown"}, {"reconnectMs", 300}});
  RunUntil(
      &t.loop, [] { return false; }, 50);
  uint64_t dropped_at = uv_now(&t.loop);
  server.Drop();
  REQUIRE(RunUntil(
      &t.loop, [&] { return rec.connected == 2; }, 5000));
  CHECK(server.accepted_at.back() - dropped_at >= 250);
}

TEST_CASE("client: handshake frames written in pieces still complete the handshake") {
  TestLoop t;
  FakeServer server(&t.loop);
  Recorder rec;
  sealpost::ClientOptions o = Options(server);
  o.split_handshake_pieces = 4;
  o.split_delay_ms = 15;
  auto client = std::make_unique<sealpost::Client>(&t.loop, o, rec.Callbacks());
  std::string error;
  REQUIRE(client->Start(&error));
  REQUIRE(RunUntil(
      &t.loop, [&] { return rec.connected == 1; }, 5000));
  // Two frames of four pieces each; pauses of 0 ms may let TCP merge a few.
  CHECK(server.handshake_reads >= 4);
}

TEST_CASE("client: trust on first use is reported, and --server-name keys the entry") {
  TestLoop t;
  FakeServer server(&t.loop);
  sp::testkit::TempDir dir;
  std::string known = dir.File("known_servers");
  std::vector<std::string> recorded;  // "server key file"
  auto run = [&](const std::string& name) {
    sealpost::ClientOptions o = Options(server);
    o.server_public_key.clear();
    o.known_servers_file = known;
    o.server_name = name;
    Recorder rec;
    sealpost::ClientCallbacks cb = rec.Callbacks();
    cb.on_server_key_recorded = [&](const std::string& s, const std::string& k,
                                    const std::string& f) {
      recorded.push_back(s + " " + k + " " + f);
    };
    auto client = std::make_unique<sealpost::Client>(&t.loop, o, cb);
    std::string error;
    REQUIRE(client->Start(&error));
    REQUIRE(RunUntil(
        &t.loop, [&] { return rec.connected == 1; }, 5000));
  };
  run("");  // first use, keyed by address: reported
  REQUIRE(recorded.size() == 1);
  CHECK(recorded[0] == server.Address() + " " + server.PublicKey() + " " + known);
  run("");  // known now: silent
  CHECK(recorded.size() == 1);
  run("prod");  // the same server under a name the user chose: a new entry, reported
  REQUIRE(recorded.size() == 2);
  CHECK(recorded[1].rfind("prod " + server.PublicKey(), 0) == 0);
  run("prod");
  CHECK(recorded.size() == 2);
  std::ifstream in(known);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(text.find("prod " + server.PublicKey()) != std::string::npos);
}

namespace {

json Reply(const std::string& event_id, const std::string& re, const std::string& data,
           bool last = true, std::string from = {}) {
  json e = {{"type", "reply"}, {"re", re}, {"data", data}};
  if (!last) e["last"] = "0";
  if (!from.empty()) e["from"] = from;
  return {{"type", "server-event"}, {"ts", 5}, {"eventId", event_id}, {"attempt", 1}, {"event", e}};
}

}  // namespace

TEST_CASE("client: a request collects its partial replies, ends at the final one, acks them all") {
  TestLoop t;
  FakeServer server(&t.loop);
  server.on_message = [](FakeServer& s, const json& m) {
    if (m["type"] != "request") return;
    s.Send({{"type", "ack"}, {"ts", 1}, {"id", m["id"]}});
    // A direct message that happens to carry "re" is not a reply.
    s.Send(Reply("1-0", m["id"], "spoofed", true, "mallory"));
    // Nor is an event of another type that names the request.
    json chat = Reply("1-1", m["id"], "not a reply");
    chat["event"]["type"] = "chat";
    s.Send(chat);
    s.Send(Reply("2-0", m["id"], "t1", false));
    s.Send(Reply("3-0", m["id"], "t2", false));
    s.Send(Reply("4-0", m["id"], "END"));
    s.Send(Reply("5-0", m["id"], "late"));  // after the final one: an ordinary event
  };
  Recorder rec;
  auto client = std::make_unique<sealpost::Client>(&t.loop, Options(server), rec.Callbacks());
  std::string error;
  REQUIRE(client->Start(&error));
  std::vector<std::string> parts;
  std::optional<sealpost::Reply> done;
  sealpost::RequestOptions options;
  options.on_part = [&](const sealpost::Event& e) { parts.emplace_back(e.Get("data")); };
  auto sent = client->Request(
      "query", "\"SetA-Two\"", [&](const sealpost::Reply& r) { done = r; }, options);
  REQUIRE(sent);
  REQUIRE(RunUntil(
      &t.loop, [&] { return done && rec.events.size() == 3 && Count(server.received, "ack") == 6; },
      5000));
  REQUIRE(*done);
  CHECK(done->request_id == sent.id);
  REQUIRE(done->parts.size() == 3);
  CHECK(done->Final().Get("data") == "END");
  CHECK(parts == std::vector<std::string>{"t1", "t2"});
  CHECK(rec.events[0].Get("data") == "spoofed");
  CHECK(rec.events[1].Get("data") == "not a reply");
  CHECK(rec.events[2].Get("data") == "late");
  json request = server.received.front();
  for (const json& m : server.received)
    if (m["type"] == "request") request = m;
  CHECK(request["method"] == "query");
  CHECK(request["params"] == "SetA-Two");
  CHECK(client->PendingSends() == 0);
}

TEST_CASE("client: a request without a reply times out; a refused one reports the server's code") {
  TestLoop t;
  FakeServer server(&t.loop);
  server.on_message = [](FakeServer& s, const json& m) {
    if (m["type"] != "request") return;
    if (m["method"] == "nobody")
      s.Send({{"type", "ack"}, {"ts", 1}, {"id", m["id"]}});
    else
      s.Send({{"type", "error"},
              {"ts", 1},
              {"code", "forbidden"},
              {"message", "no method"},
              {"retry", false},
              {"id", m["id"]}});
  };
  Recorder rec;
  auto client = std::make_unique<sealpost::Client>(&t.loop, Options(server), rec.Callbacks());
  std::string error;
  REQUIRE(client->Start(&error));
  std::optional<sealpost::Reply> timed_out;
  std::optional<sealpost::Reply> refused;
  sealpost::RequestOptions quick;
  quick.timeout_ms = 300;
  REQUIRE(client->Request(
      "nobody", "", [&](const sealpost::Reply& r) { timed_out = r; }, quick));
  REQUIRE(client->Request("secret", "{}", [&](const sealpost::Reply& r) { refused = r; }));
  CHECK_FALSE(client->Request("bad method!", "", [](const sealpost::Reply&) {}));
  CHECK_FALSE(client->Request("m", "{not json", [](const sealpost::Reply&) {}));
  REQUIRE(RunUntil(
      &t.loop, [&] { return timed_out && refused; }, 5000));
  CHECK(timed_out->error.code == "timeout");
  CHECK(refused->error.code == "forbidden");
  CHECK(rec.errors.empty());  // both reached their callbacks, not on_error
  CHECK(client->PendingSends() == 0);
}

// ---- Several servers --------------------------------------------------------------

namespace {

// A port nothing listens on: a listener bound and closed again.
std::string DeadAddress(uv_loop_t* loop) {
  FakeServer gone(loop);
  std::string address = gone.Address();
  gone.Close();
  uv_run(loop, UV_RUN_NOWAIT);
  return address;
}

}  // namespace

TEST_CASE("client: of a dead server and a live one, the live one gets the session") {
  TestLoop t;
  FakeServer live(&t.loop);
  std::string dead = DeadAddress(&t.loop);
  for (int first : {0, 1, -1}) {
    CAPTURE(first);
    Recorder rec;
    std::string on;
    sealpost::ClientCallbacks cb = rec.Callbacks();
    cb.on_connected = [&](const sealpost::Welcome& w) {
      rec.connected++;
      on = w.server;
    };
    sealpost::ClientOptions o = Options(live);
    o.servers = {dead, live.Address()};
    o.first_server = first;
    auto client = std::make_unique<sealpost::Client>(&t.loop, o, cb);
    std::string error;
    REQUIRE(client->Start(&error));
    REQUIRE(RunUntil(
        &t.loop, [&] { return rec.connected == 1; }, 5000));
    CHECK(on == live.Address());
    // Starting at the dead one costs one refused attempt; starting at the
    // live one, none.
    size_t refused = 0;
    for (const auto& e : rec.errors) refused += e.code == sealpost::errors::kConnectionRefused;
    if (first == 0) CHECK(refused == 1);
    if (first == 1) CHECK(refused == 0);
    CHECK(client->Stats().attempts == refused + 1);
  }
}

TEST_CASE("client: goaway moves the client to the next server, after the delay it names") {
  TestLoop t;
  FakeServer a(&t.loop);
  FakeServer b(&t.loop, a.Key());  // one deployment, one key: pinned once for both
  Recorder rec;
  std::vector<std::string> sessions_on;
  sealpost::ClientCallbacks cb = rec.Callbacks();
  cb.on_connected = [&](const sealpost::Welcome& w) {
    rec.connected++;
    sessions_on.push_back(w.server);
  };
  sealpost::ClientOptions o = Options(a);
  o.server = a.Address() + "," + b.Address();
  o.first_server = 0;
  o.backoff_min_ms = 2000;  // so a reconnect within the test's bound is the goaway's delay
  o.backoff_max_ms = 4000;
  auto client = std::make_unique<sealpost::Client>(&t.loop, o, cb);
  std::string error;
  REQUIRE(client->Start(&error));
  REQUIRE(RunUntil(
      &t.loop, [&] { return rec.connected == 1; }, 5000));
  a.Send({{"type", "goaway"}, {"ts", 1}, {"reason", "shutdown"}, {"reconnectMs", 150}});
  RunUntil(
      &t.loop, [] { return false; }, 30);
  uint64_t dropped_at = uv_now(&t.loop);
  a.Drop();  // the drain ended
  REQUIRE(RunUntil(
      &t.loop, [&] { return rec.connected == 2; }, 1500));
  CHECK(sessions_on == std::vector<std::string>{a.Address(), b.Address()});
  CHECK(a.connections == 1);
  CHECK(b.connections == 1);
  CHECK(b.accepted_at.back() - dropped_at >= 120);
  CHECK(rec.errors.empty());  // a goaway and the close after it are no errors
}

TEST_CASE("client: attempts go round robin from the first server, and a lost link moves on") {
  TestLoop t;
  auto key = sp::crypto::GenerateKeyPair();
  FakeServer a(&t.loop, key);
  FakeServer b(&t.loop, key);
  FakeServer c(&t.loop, key);
  std::vector<std::string> order;  // where each session was
  for (auto [server, name] : {std::pair{&a, "a"}, std::pair{&b, "b"}, std::pair{&c, "c"}}) {
    server->on_authenticated = [&order, name = std::string(name)](FakeServer& s) {
      order.push_back(name);
      s.Welcome();
      s.Drop();  // the link is lost right after the welcome
    };
  }
  Recorder rec;
  sealpost::ClientOptions o = Options(a);
  o.servers = {a.Address(), b.Address(), c.Address()};
  o.first_server = 1;
  auto client = std::make_unique<sealpost::Client>(&t.loop, o, rec.Callbacks());
  std::string error;
  REQUIRE(client->Start(&error));
  REQUIRE(RunUntil(
      &t.loop, [&] { return order.size() >= 7; }, 10000));
  order.resize(7);
  CHECK(order == std::vector<std::string>{"b", "c", "a", "b", "c", "a", "b"});
}

TEST_CASE("client: random first servers spread many clients over the list") {
  TestLoop t;
  FakeServer a(&t.loop);
  std::string other = "127.0.0.1:1";  // never connected to: Start() only resolves
  std::map<std::string, int> first;
  for (int i = 0; i < 200; ++i) {
    sealpost::ClientOptions o = Options(a);
    o.server = a.Address() + "," + other;
    std::string on;
    sealpost::ClientCallbacks cb;
    cb.on_error = [&](const sealpost::ClientError&) { on = other; };
    cb.on_connected = [&](const sealpost::Welcome& w) { on = w.server; };
    auto client = std::make_unique<sealpost::Client>(&t.loop, o, cb);
    std::string error;
    REQUIRE(client->Start(&error));
    REQUIRE(RunUntil(
        &t.loop, [&] { return !on.empty(); }, 5000));
    first[on]++;
  }
  // Binomial(200, 1/2): outside [60, 140] with probability below 1e-8.
  CHECK(first[a.Address()] > 60);
  CHECK(first[other] > 60);
}

TEST_CASE("client: the backoff grows over short sessions and resets after a healthy one") {
  TestLoop t;
  FakeServer server(&t.loop);
  struct Dropper {
    uv_timer_t timer;
    FakeServer* server;
    std::vector<uint64_t> dropped_at;
  } dropper{{}, &server, {}};
  uv_timer_init(&t.loop, &dropper.timer);
  dropper.timer.data = &dropper;
  server.on_authenticated = [&](FakeServer& s) {
    s.Welcome();
    // Sessions 1-7 are lost at once; session 8 stays up past healthy_session_ms.
    uint64_t hold_ms = s.connections <= 7 ? 0 : 400;
    uv_timer_start(
        &dropper.timer,
        [](uv_timer_t* timer) {
          auto* d = static_cast<Dropper*>(timer->data);
          d->server->Drop();
          d->dropped_at.push_back(uv_now(timer->loop));
        },
        hold_ms, 0);
  };
  Recorder rec;
  sealpost::ClientOptions o = Options(server);
  o.backoff_min_ms = 20;
  o.backoff_max_ms = 5000;
  o.healthy_session_ms = 300;
  auto client = std::make_unique<sealpost::Client>(&t.loop, o, rec.Callbacks());
  std::string error;
  REQUIRE(client->Start(&error));
  REQUIRE(RunUntil(
      &t.loop, [&] { return server.connections == 9; }, 20000));
  REQUIRE(dropper.dropped_at.size() == 8);
  // After seven short sessions the ceiling is 20 ms * 2^7 = 2.56 s, so the
  // delays add up; the healthy eighth resets it to the minimum (20 ms).
  // Without the reset the last delay would be under 150 ms in 5% of runs.
  CHECK(server.accepted_at[7] - dropper.dropped_at[0] >= 200);  // 140 if it did not grow
  CHECK(server.accepted_at[8] - dropper.dropped_at[7] < 150);
  uv_close(reinterpret_cast<uv_handle_t*>(&dropper.timer), nullptr);
}

TEST_CASE("client: a known-servers file keys each server of a list by its own entry") {
  TestLoop t;
  FakeServer a(&t.loop);
  FakeServer b(&t.loop, a.Key());
  sp::testkit::TempDir dir;
  auto run = [&](const std::string& name) {
    std::vector<std::string> recorded;
    sealpost::ClientOptions o = Options(a);
    o.server_public_key.clear();
    o.known_servers_file = dir.File("known_" + name);
    o.server_name = name;
    o.servers = {a.Address(), b.Address()};
    o.first_server = 0;
    Recorder rec;
    sealpost::ClientCallbacks cb = rec.Callbacks();
    cb.on_server_key_recorded = [&](const std::string& s, const std::string& k,
                                    const std::string&) { recorded.push_back(s + " " + k); };
    auto client = std::make_unique<sealpost::Client>(&t.loop, o, cb);
    std::string error;
    REQUIRE(client->Start(&error));
    REQUIRE(RunUntil(
        &t.loop, [&] { return rec.connected == 1; }, 5000));
    a.Drop();  // the link to a is lost: the next session is on b
    REQUIRE(RunUntil(
        &t.loop, [&] { return rec.connected == 2; }, 5000));
    CHECK(b.connections >= 1);
    return recorded;
  };
  CHECK(run("") == std::vector<std::string>{a.Address() + " " + a.PublicKey(),
                                            b.Address() + " " + a.PublicKey()});
  // One name for the deployment: one entry, recorded once, matched by both.
  CHECK(run("prod") == std::vector<std::string>{"prod " + a.PublicKey()});
}

TEST_CASE("client: a bad server list is refused by Start() with the reason") {
  TestLoop t;
  FakeServer a(&t.loop);
  auto refusal = [&](const std::string& server, std::vector<std::string> servers = {}) {
    sealpost::ClientOptions o = Options(a);
    o.server = server;
    o.servers = std::move(servers);
    sealpost::Client client(&t.loop, o, {});
    std::string error;
    CHECK_FALSE(client.Start(&error));
    return error;
  };
  CHECK(refusal(a.Address() + ",,") == "empty entry in the server list '" + a.Address() + ",,'");
  CHECK(refusal("x", {a.Address(), "nohost"}) == "server must be host:port, got 'nohost'");
  CHECK(refusal(a.Address() + ",[::1:9300") ==
        "server must be host:port or [v6]:port, got '[::1:9300'");
  CHECK(refusal(a.Address() + ",no-such-host.invalid:9300") ==
        "cannot resolve 'no-such-host.invalid'");
  // The single-server form and IPv6 entries still work.
  sealpost::ClientOptions o = Options(a);
  o.server = "[::1]:9300," + a.Address();
  sealpost::Client client(&t.loop, o, {});
  std::string error;
  CHECK_MESSAGE(client.Start(&error), error);
}
