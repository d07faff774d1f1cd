// The `sealpost` CLI driven as a user would: keygen, provision, listen,
// send, and a server key that changed.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/cluster.h"
#include "tests/support/eventually.h"
#include "tests/support/temp_dir.h"

using namespace sp::testkit;
using namespace std::chrono_literals;

namespace {

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

struct CliEnv {
  CliEnv() : server(redis) { REQUIRE(sp::crypto::InitCrypto()); }
  std::vector<std::string> Cmd(std::vector<std::string> args) {
    args.insert(args.begin(), BinDir() + "/sealpost");
    args.insert(args.end(), {"--redis", redis.Url()});
    return args;
  }
  std::vector<std::string> Live(std::vector<std::string> args, const std::string& pk) {
    args.insert(args.begin(), BinDir() + "/sealpost");
    args.insert(args.end(),
                {"--server", "127.0.0.1:" + std::to_string(server.Port()), "--server-pk", pk});
    return args;
  }
  Redis redis;
  Server server;
  TempDir dir;
};

}  // namespace

TEST_CASE("keygen -> provision -> listen -> redis-cli XADD prints the event line") {
  CliEnv env;
  std::string pk;
  std::string key = env.dir.File("c.key");
  REQUIRE(Run({BinDir() + "/sealpost", "keygen", "--out", key}, &pk) == 0);
  pk = Trim(pk);
  CHECK(pk.size() == 44);  // base64 of 32 bytes, the only line on stdout
  std::string again;
  REQUIRE(Run({BinDir() + "/sealpost", "pubkey", "--key", key}, &again) == 0);
  CHECK(Trim(again) == pk);

  REQUIRE(Run(env.Cmd({"provision", "101", "--pk", pk})) == 0);
  Process listen(env.Live({"listen", "--id", "101", "--key", key, "--exit-after", "1"},
                          env.server.PublicKey()),
                 env.dir.File("listen"));
  REQUIRE(env.server.Proc().WaitForOutput("session.started", 10s));
  REQUIRE(Run({"redis-cli", "-p", std::to_string(env.redis.Port()), "XADD", "sp:{101}:events", "*",
               "type", "greeting", "data", "{\"hello\":\"world\"}"}) == 0);
  REQUIRE(listen.Wait(10s) == 0);
  auto line = nlohmann::json::parse(Trim(listen.Stdout()), nullptr, false);
  REQUIRE(line.is_object());
  CHECK(line["type"] == "greeting");
  CHECK(line["data"] == "{\"hello\":\"world\"}");
  CHECK(line.contains("eventId"));
  CHECK(line.contains("ts"));
}

TEST_CASE("send stores a client-event in sp:inbound and exits 0 after the ack") {
  CliEnv env;
  std::string pk;
  std::string key = env.dir.File("s.key");
  REQUIRE(Run({BinDir() + "/sealpost", "keygen", "--out", key}, &pk) == 0);
  REQUIRE(Run(env.Cmd({"provision", "202", "--pk", Trim(pk)})) == 0);
  std::string out, err;
  int code = Run(
      env.Live({"send", "--id", "202", "--key", key, "telemetry", "21.5C"}, env.server.PublicKey()),
      &out, &err);
  INFO(err);
  REQUIRE(code == 0);
  auto entries = env.redis.Command({"XRANGE", "sp:inbound", "-", "+"});
  REQUIRE(entries->elements == 1);
  std::string fields;
  auto* body = entries->element[0]->element[1];
  for (size_t i = 0; i < body->elements; ++i) fields += std::string(body->element[i]->str) + " ";
  CHECK(fields.find("client 202") != std::string::npos);
  CHECK(fields.find("type telemetry") != std::string::npos);
  CHECK(fields.find("data 21.5C") != std::string::npos);
}

TEST_CASE("listen refuses a server whose key changed, with a clear message") {
  CliEnv env;
  std::string pk;
  std::string key = env.dir.File("l.key");
  REQUIRE(Run({BinDir() + "/sealpost", "keygen", "--out", key}, &pk) == 0);
  REQUIRE(Run(env.Cmd({"provision", "303", "--pk", Trim(pk)})) == 0);
  auto other = sp::crypto::GenerateKeyPair();
  std::string out, err;
  int code = Run(env.Live({"listen", "--id", "303", "--key", key, "--timeout", "5"},
                          sp::crypto::PublicKeyBase64(other)),
                 &out, &err, 20s);
  CHECK(code == 1);
  CHECK(err.find("server key mismatch") != std::string::npos);
  CHECK(out.empty());
}

TEST_CASE("listen with a known-servers file trusts the first key and refuses a changed one") {
  CliEnv env;
  std::string pk;
  std::string key = env.dir.File("k.key");
  std::string known = env.dir.File("known_servers");
  REQUIRE(Run({BinDir() + "/sealpost", "keygen", "--out", key}, &pk) == 0);
  REQUIRE(Run(env.Cmd({"provision", "404", "--pk", Trim(pk)})) == 0);
  std::string server = "127.0.0.1:" + std::to_string(env.server.Port());
  std::string out, err;
  // First use: records the key (no event needed: --timeout bounds the run).
  Process first({BinDir() + "/sealpost", "listen", "--id", "404", "--key", key, "--server", server,
                 "--known-servers", known, "--exit-after", "1"},
                env.dir.File("first"));
  REQUIRE(env.server.Proc().WaitForOutput("session.started", 10s));
  env.redis.Xadd("404", "t", "x");
  REQUIRE(first.Wait(10s) == 0);
  CHECK(ReadFile(known).find(env.server.PublicKey()) != std::string::npos);
  // Same address, new server key: refused.
  std::system(("rm -f '" + env.server.Dir() + "/server.key'").c_str());
  env.server.Restart();
  int code = Run({BinDir() + "/sealpost", "listen", "--id", "404", "--key", key, "--server", server,
                  "--known-servers", known, "--timeout", "5"},
                 &out, &err, 20s);
  CHECK(code == 1);
  CHECK(err.find("server key mismatch") != std::string::npos);
}

TEST_CASE("sealpost disable ends a live session within a second, enable lets it back in") {
  CliEnv env;
  std::string pk;
  std::string key = env.dir.File("d.key");
  REQUIRE(Run({BinDir() + "/sealpost", "keygen", "--out", key}, &pk) == 0);
  REQUIRE(Run(env.Cmd({"provision", "505", "--pk", Trim(pk)})) == 0);
  Process listener(
      env.Live({"listen", "--id", "505", "--key", key, "--timeout", "30"}, env.server.PublicKey()),
      env.dir.File("listener"));
  REQUIRE(env.server.Proc().WaitForOutput("session.started", 10s));
  std::string out;
  REQUIRE(Run(env.Cmd({"disable", "505"}), &out) == 0);
  CHECK(out.find("\"disabled\":true") != std::string::npos);
  auto start = std::chrono::steady_clock::now();
  int code = listener.Wait(5s);
  CHECK(std::chrono::steady_clock::now() - start < 1500ms);
  CHECK(code == 1);  // a fatal, authenticated refusal: the listener stops
  CHECK(listener.Stderr().find("client disabled") != std::string::npos);
  REQUIRE(Run(env.Cmd({"enable", "505"}), &out) == 0);
  CHECK(out.find("\"disabled\":false") != std::string::npos);
  Process again(env.Live({"listen", "--id", "505", "--key", key, "--exit-after", "1"},
                         env.server.PublicKey()),
                env.dir.File("again"));
  REQUIRE(Eventually([&] { return env.redis.Integer({"EXISTS", "sp:{505}:presence"}) == 1; }));
  env.redis.Xadd("505", "t", "back");
  CHECK(again.Wait(10s) == 0);
  CHECK(again.Stdout().find("back") != std::string::npos);
  // An id that was never provisioned is not created by disable.
  std::string err;
  CHECK(Run(env.Cmd({"disable", "nobody"}), &out, &err) == 1);
  CHECK(err.find("not provisioned") != std::string::npos);
  CHECK(env.redis.Integer({"EXISTS", "sp:{nobody}:client"}) == 0);
}
