// The operator endpoint (--metrics-listen): health and readiness through a
// Redis outage and a drain, metrics that count what clients did, the status
// page's data, and a listener that bad or idle peers cannot break or hold.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "shared/messages.h"
#include "tests/support/http_get.h"
#include "tests/support/server_env.h"

using namespace sp::testkit;
using namespace std::chrono_literals;

namespace {

// A server with the operator endpoint on a free port.
struct Endpoint {
  explicit Endpoint(std::vector<std::string> extra = {})
      : port(FreePort()), env(WithMetrics(port, std::move(extra))) {
    REQUIRE(WaitForPort(port, 5s));
  }
  static std::vector<std::string> WithMetrics(int port, std::vector<std::string> extra) {
    extra.insert(extra.end(), {"--metrics-listen", "127.0.0.1:" + std::to_string(port)});
    return extra;
  }
  HttpReply Get(const std::string& path) { return HttpGet(port, path); }
  // The value of one metric line "name value" in /metrics; -1 when absent.
  long long Metric(const std::string& name) {
    std::string body = Get("/metrics").body;
    size_t at = body.find(std::string("\n").append(name).append(" "));
    return at == std::string::npos ? -1 : std::atoll(body.c_str() + at + name.size() + 2);
  }
  int port;
  ServerEnv env;
};

int OpenIdleConnection(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
}

}  // namespace

TEST_CASE("readiness follows Redis: 200, then 503 while Redis is down, then 200 again") {
  Endpoint ep;
  CHECK(ep.Get("/healthz").status == 200);
  CHECK(ep.Get("/healthz").body == "ok\n");
  REQUIRE(ep.env.Eventually([&] { return ep.Get("/readyz").status == 200; }));
  CHECK(ep.Get("/readyz").body == "ready\n");

  ep.env.redis.Stop();
  REQUIRE(ep.env.Eventually([&] { return ep.Get("/readyz").status == 503; }));
  CHECK(ep.Get("/readyz").body == "not ready: redis down\n");
  CHECK(ep.Get("/healthz").status == 200);  // alive all the same: do not restart it
  CHECK(ep.Metric("sealpost_redis_up") == 0);

  ep.env.redis.Start();
  CHECK(ep.env.Eventually([&] { return ep.Get("/readyz").status == 200; }, 20s));
  // Ready as soon as one worker is back; the flag is 1 once every worker is.
  CHECK(ep.env.Eventually([&] { return ep.Metric("sealpost_redis_up") == 1; }, 20s));
}

TEST_CASE("/metrics counts what the clients did") {
  Endpoint ep;
  auto key = sp::crypto::GenerateKeyPair();
  auto wrong = sp::crypto::GenerateKeyPair();
  ep.env.redis.Provision("m1", key);
  WireClient impostor;
  REQUIRE(impostor.Connect(ep.env.server.Port()));
  CHECK(impostor.Handshake(ep.env.server.PublicKey(), wrong, "m1") == "unknown_client");
  auto c = ep.env.Connect("m1", key);
  for (int i = 0; i < 5; ++i)
    ep.env.redis.Xadd("m1", "t", std::string("d").append(std::to_string(i)));
  for (int got = 0; got < 5;) {
    auto m = c->ReceiveType("server-event", 5s);
    REQUIRE(m);
    REQUIRE(c->Ack((*m)["eventId"]));
    ++got;
  }
  for (int i = 0; i < 3; ++i) {
    REQUIRE(c->Send({{"type", "client-event"},
                     {"ts", sp::proto::NowMs()},
                     {"id", std::string("e").append(std::to_string(i))},
                     {"event", {{"type", "t"}, {"data", "x"}}}}));
    REQUIRE(c->ReceiveType("ack", 5s));
  }
  CHECK(ep.env.Eventually([&] { return ep.Metric("sealpost_events_acked_total") == 5; }));
  CHECK(ep.Metric("sealpost_events_sent_total") == 5);
  CHECK(ep.Metric("sealpost_events_resent_total") == 0);
  CHECK(ep.Metric("sealpost_client_events_total") == 3);
  CHECK(ep.Metric("sealpost_sessions_started_total") == 1);
  CHECK(ep.Metric("sealpost_handshake_failures_total") == 1);
  CHECK(ep.Metric("sealpost_sessions") == 1);
  CHECK(ep.Metric("sealpost_inflight_events") == 0);
  CHECK(ep.Metric("sealpost_redis_up") == 1);
}

TEST_CASE("readiness says draining while a graceful stop waits for acks") {
  Endpoint ep({"--drain-timeout-ms", "4000"});
  auto key = sp::crypto::GenerateKeyPair();
  ep.env.redis.Provision("d1", key);
  auto c = ep.env.Connect("d1", key);
  ep.env.redis.Xadd("d1", "t", "unacked");
  auto event = c->ReceiveType("server-event", 5s);
  REQUIRE(event);
  REQUIRE(ep.env.Eventually([&] { return ep.Get("/readyz").status == 200; }));
  kill(ep.env.server.Proc().Pid(), SIGTERM);
  REQUIRE(c->ReceiveType("goaway", 5s));
  HttpReply during = ep.Get("/readyz");
  CHECK(during.status == 503);
  CHECK(during.body == "not ready: draining\n");
  REQUIRE(c->Ack((*event)["eventId"]));  // the last ack lets the drain finish early
  CHECK(ep.env.server.Proc().Wait(10s) == 0);
}

TEST_CASE("the status page and its data") {
  Endpoint ep;
  auto key = sp::crypto::GenerateKeyPair();
  ep.env.redis.Provision("q1", key);
  auto c = ep.env.Connect("q1", key);
  for (int i = 0; i < 100; ++i) ep.env.redis.Xadd("q1", "t", "backlog");
  // Nothing acked: the whole stream waits (the inflight window holds 64 of it).
  REQUIRE(c->ReceiveType("server-event", 5s));
  nlohmann::json status;
  REQUIRE(ep.env.Eventually([&] {
    status = nlohmann::json::parse(ep.Get("/status.json").body);
    return !status["top_queues"].empty();
  }));
  CHECK(status["top_queues"][0]["client"] == "q1");
  CHECK(status["top_queues"][0]["queued"] == 100);
  CHECK(status["top_queues"][0]["dead"] == 0);
  CHECK(status["sessions"] == 1);
  CHECK(status["ready"] == true);
  CHECK(status["redis"]["up"] == true);
  CHECK(status["counters"]["delivered"].get<int>() >= 64);

  HttpReply page = ep.Get("/");
  CHECK(page.status == 200);
  CHECK(page.raw.find("Content-Type: text/html") != std::string::npos);
  CHECK(page.body.find("<title>sealpost status</title>") != std::string::npos);
}

TEST_CASE("malformed, oversized and non-GET requests get an error and a close") {
  Endpoint ep;
  struct Case {
    const char* what;
    std::string request;
    int status;
  };
  std::vector<Case> cases = {
      {"garbage", "HELLO\r\n\r\n", 400},
      {"a TLS client hello", std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11), 400},
      {"no HTTP version", "GET /metrics\r\n\r\n", 400},
      {"a relative target", "GET metrics HTTP/1.1\r\n\r\n", 400},
      {"a header without a colon", "GET /metrics HTTP/1.1\r\nbroken\r\n\r\n", 400},
      {"a control byte in a header", "GET /metrics HTTP/1.1\r\nX: a\x01z\r\n\r\n", 400},
      {"an oversized head", "GET /metrics HTTP/1.1\r\nX: " + std::string(9000, 'a') + "\r\n\r\n",
       400},
      {"POST", "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 405},
      {"an unknown path", "GET /admin HTTP/1.1\r\n\r\n", 404},
      {"HEAD", "HEAD /healthz HTTP/1.1\r\n\r\n", 200},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    HttpReply reply = HttpExchange(ep.port, c.request);  // returns once the server closed
    CHECK(reply.status == c.status);
  }
  CHECK(HttpExchange(ep.port, "HEAD /healthz HTTP/1.1\r\n\r\n").body.empty());
  CHECK(ep.Get("/healthz").status == 200);  // and the endpoint still answers
}

TEST_CASE("idle connections cannot hold the endpoint against a probe") {
  Endpoint ep({"--metrics-max-connections", "8", "--metrics-timeout-ms", "30000"});
  std::vector<int> idle;
  for (int i = 0; i < 20; ++i) idle.push_back(OpenIdleConnection(ep.port));
  // Every slot is held by a peer that sent nothing (and would for 30 s): the
  // probe still gets its answer, because a newcomer evicts the oldest idle one.
  for (int i = 0; i < 5; ++i) CHECK(ep.Get("/healthz").status == 200);
  for (int fd : idle) close(fd);
}
