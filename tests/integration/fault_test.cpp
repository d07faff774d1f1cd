// Faults injected into real processes during a run: the server killed with
// SIGKILL, Redis stopped or killed, a client that stops reading, a client
// whose packets vanish without a FIN. Every test here is named "fault: ..."
// and is in the doctest suite "faults", so that a slow (sanitizer) pass can
// leave them out with `ctest -E 'fault: '`.
#include <doctest/doctest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "tests/support/fault_tools.h"
#include "tests/support/http_get.h"
#include "tests/support/netns.h"
#include "tests/support/server_env.h"

using namespace sp::testkit;
using namespace std::chrono_literals;

namespace {

constexpr double kSimRate = 300;  // events per second over all simulated clients
constexpr int kSimClients = 20;

// Waits for a sim run to end and returns its JSON summary (its last line).
nlohmann::json SimSummary(Process& sim, std::chrono::milliseconds timeout, int* exit_code) {
  *exit_code = sim.Wait(timeout);
  if (*exit_code == -1) sim.Stop(SIGINT, 10s);  // a second SIGINT ends the drain
  std::string out = sim.Stdout();
  while (!out.empty() && out.back() == '\n') out.pop_back();
  size_t line = out.rfind('\n');
  auto j =
      nlohmann::json::parse(line == std::string::npos ? out : out.substr(line + 1), nullptr, false);
  INFO("sim stdout: " << out << "\nsim stderr (tail): " << Tail(sim.Stderr(), 3000));
  REQUIRE(j.is_object());
  return j;
}

struct RedisOutage {
  bool kill9 = false;  // SIGKILL instead of a clean stop
  std::string appendfsync = "everysec";
  int seconds = 10;
};

// /readyz and /healthz on the metrics listener: 503 "not ready: <reason>"
// while Redis is down, 200 "ready" again after; /healthz 200 throughout.
void CheckNotReady(int metrics_port) {
  bool not_ready = Eventually([&] { return HttpGet(metrics_port, "/readyz").status == 503; }, 5s);
  HttpReply r = HttpGet(metrics_port, "/readyz");
  INFO("/readyz during the outage: " << r.status << " " << r.body);
  CHECK(not_ready);
  CHECK(r.body.rfind("not ready: ", 0) == 0);
  CHECK(HttpGet(metrics_port, "/healthz").status == 200);
}

void CheckReadyAgain(int metrics_port) {
  bool ready = Eventually([&] { return HttpGet(metrics_port, "/readyz").status == 200; }, 15s);
  HttpReply r = HttpGet(metrics_port, "/readyz");
  INFO("/readyz after the outage: " << r.status << " " << r.body);
  CHECK(ready);
  CHECK(r.body == "ready\n");
}

// A sim run with Redis gone for `o.seconds` in its middle: nothing lost,
// the server logs the outage and reconnects alone, and the simulator
// reconnects too and keeps pushing, so `sent` covers the whole run.
void RunRedisOutage(const RedisOutage& o) {
  constexpr double kDuration = 24;
  constexpr double kDownAt = 6;
  REQUIRE(sp::crypto::InitCrypto());
  Redis redis(/*aof=*/true, o.appendfsync);
  int metrics_port = FreePort();
  Server server(redis, {"--metrics-listen", "127.0.0.1:" + std::to_string(metrics_port)});
  REQUIRE(WaitForPort(metrics_port, 5s));
  TempDir dir;
  Process sim(SimArgs(redis, server, kSimClients, kDuration, kSimRate), dir.File("sim"));
  REQUIRE(sim.WaitForOutput("pushing", 20s));
  std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(kDownAt * 1000)));

  auto down_at = std::chrono::steady_clock::now();
  if (o.kill9)
    redis.Kill9();
  else
    redis.Stop();
  CHECK(server.Proc().WaitForOutput("redis.down", 5s));
  CheckNotReady(metrics_port);                                               // needs /readyz
  std::this_thread::sleep_until(down_at + std::chrono::seconds(o.seconds));  // the outage itself
  redis.Start();
  CHECK(server.Proc().WaitForOutput("redis.reconnected", 15s));
  CheckReadyAgain(metrics_port);  // needs /readyz

  int code = 0;
  nlohmann::json s = SimSummary(sim, 90s, &code);
  MESSAGE("sim summary: " << s.dump());
  CHECK(code == 0);
  CHECK(s["lost"] == 0);
  CHECK(s["redis_outages"].get<uint64_t>() >= 1);
  double outage_s = s["redis_outage_ms"].get<double>() / 1000;
  CHECK(outage_s >= o.seconds - 1);
  CHECK(outage_s <= o.seconds + 8);  // the restart, then the sim's backoff (2 s at most)
  // Pushing went on after the outage: the time Redis was up is covered.
  CHECK(s["sent"].get<double>() >= 0.8 * kSimRate * (kDuration - outage_s));
  CHECK(sim.Stderr().find("redis: reconnected") != std::string::npos);
}

std::chrono::milliseconds Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               t);
}

}  // namespace

TEST_SUITE("faults") {
  TEST_CASE("fault: SIGKILL of the server at 10 random moments during a sim run with churn") {
    constexpr int kKills = 10;
    constexpr int kWindow = 16;
    constexpr double kDuration = 30;
    ServerEnv env({"--inflight-window", std::to_string(kWindow)});
    TempDir dir;
    Process sim(SimArgs(env, kSimClients, kDuration, kSimRate, {"--churn", "5"}), dir.File("sim"));
    REQUIRE(sim.WaitForOutput("pushing", 20s));
    auto start = std::chrono::steady_clock::now();

    // A failing run's moments come again with SEALPOST_FAULT_SEED=<seed>.
    const char* fixed = std::getenv("SEALPOST_FAULT_SEED");
    unsigned seed = fixed ? static_cast<unsigned>(std::stoul(fixed)) : std::random_device{}();
    MESSAGE("kill moments seed " << seed);
    std::vector<double> moments = SpreadMoments(kKills, 1.0, kDuration - 3, 2.0, seed);
    std::chrono::milliseconds slowest_return{0};
    for (double at : moments) {
      std::this_thread::sleep_until(start + std::chrono::milliseconds(static_cast<int>(at * 1000)));
      auto killed_at = std::chrono::steady_clock::now();
      env.server.Kill9();
      env.server.Restart();
      // Clients must be back before the next kill, or it would hit no session.
      REQUIRE(env.server.Proc().WaitForOutput("session.started", 15s));
      slowest_return = std::max(slowest_return, Since(killed_at));
    }
    MESSAGE("slowest kill -> restart -> first session: " << slowest_return.count() << " ms");
    int code = 0;
    nlohmann::json s = SimSummary(sim, 60s, &code);
    MESSAGE("sim summary: " << s.dump());
    CHECK(code == 0);
    CHECK(s["sent"].get<uint64_t>() > 0);
    CHECK(s["lost"] == 0);
    // A kill loses the acks in flight: each client may see its window again;
    // a churned connection likewise.
    uint64_t again = s["duplicates"].get<uint64_t>() + s["redeliveries_suppressed"].get<uint64_t>();
    uint64_t bound = (kKills * kSimClients + s["churned"].get<uint64_t>()) * kWindow;
    MESSAGE("redeliveries " << again << " (bound " << bound << ")");
    CHECK(again <= bound);
  }

  TEST_CASE("fault: Redis stopped for 10 s (AOF everysec) during a sim run") {
    RedisOutage outage;
    outage.kill9 = false;
    outage.appendfsync = "everysec";
    outage.seconds = 10;
    RunRedisOutage(outage);
  }

  TEST_CASE("fault: Redis killed with SIGKILL (appendfsync always) during a sim run") {
    RedisOutage outage;
    outage.kill9 = true;
    outage.appendfsync = "always";
    outage.seconds = 5;
    RunRedisOutage(outage);
  }

  TEST_CASE(
      "fault: a client that stops reading is closed at the write-queue limit, and its events "
      "wait") {
    constexpr size_t kQueueLimit = 256 * 1024;
    constexpr int kWindow = 2048;
    constexpr size_t kEventBytes = 4096;
    // Enough to fill the socket buffers of both ends (a few MB on loopback)
    // and then the write queue, before the window runs out.
    constexpr int kWhileStopped = 1500;
    constexpr int kAfterClose = 500;
    ServerEnv env({"--max-write-queue-bytes", std::to_string(kQueueLimit), "--inflight-window",
                   std::to_string(kWindow), "--log-level", "debug"});
    TempDir dir;
    ListenClient listener(env, "slow", dir);
    REQUIRE(env.server.Proc().WaitForOutput("session.started", 10s));
    pid_t server = env.server.Proc().Pid();
    long baseline_kb = RssKb(server);

    REQUIRE(kill(listener.proc.Pid(), SIGSTOP) == 0);
    auto stopped_at = std::chrono::steady_clock::now();
    long peak_kb = baseline_kb;
    std::string data(kEventBytes, 'p');
    for (int i = 0; i < kWhileStopped; ++i) {
      env.redis.Xadd("slow", "bulk", data);
      if (i % 50 == 0) peak_kb = std::max(peak_kb, RssKb(server));
    }
    bool closed = Eventually(
        [&] {
          peak_kb = std::max(peak_kb, RssKb(server));
          return env.server.Proc().Stderr().find("slow reader") != std::string::npos;
        },
        15s);
    auto closed_after = Since(stopped_at);
    for (int i = 0; i < kAfterClose; ++i) env.redis.Xadd("slow", "bulk", data);
    peak_kb = std::max(peak_kb, RssKb(server));
    // What the server may hold for this client, whatever the backlog: the
    // write queue up to its limit (plus the frame that crossed it), and one
    // window of events up to three times at the peak (hiredis' reply to the
    // read, the copy kept for resending, the sealed frames on their way to
    // the socket); the rest of the allowance is for the allocator. A CI run
    // measured 18 MB of growth here with a window of 8 MB.
    long bound_kb =
        static_cast<long>((kQueueLimit + 3 * kWindow * (kEventBytes + 512)) / 1024) + 4096;
    MESSAGE("server RSS baseline " << baseline_kb << " kB, peak " << peak_kb << " kB, growth bound "
                                   << bound_kb << " kB; closed after " << closed_after.count()
                                   << " ms");
    kill(listener.proc.Pid(), SIGCONT);
    CHECK(closed);
#if defined(__SANITIZE_ADDRESS__)
    // AddressSanitizer keeps freed memory resident (its quarantine): the
    // server's RSS says nothing about what it holds for this client.
    MESSAGE("RSS bound not checked under AddressSanitizer");
#else
    CHECK(peak_kb - baseline_kb <= bound_kb);
#endif
    // Resumed, it reads what was buffered, finds the connection gone,
    // reconnects and gets every event (duplicates are counted once).
    auto received = [&] { return listener.DistinctEvents() == kWhileStopped + kAfterClose; };
    CHECK(Eventually(received, 60s, 250ms));
    MESSAGE("distinct events received " << listener.DistinctEvents() << " of "
                                        << kWhileStopped + kAfterClose);
    CHECK(env.Eventually(
        [&] {
          return env.redis.Integer({"XLEN", "sp:{slow}:events"}) == 0;
        },
        10s));
  }

  TEST_CASE("fault: a half-open client (packets dropped, no FIN) is found by heartbeat") {
    if (geteuid() != 0) {
      MESSAGE("SKIPPED: the half-open test needs root for a network namespace");
      return;
    }
    constexpr int kIntervalMs = 1000;
    constexpr int kTimeoutMs = 3000;
    NetnsPair net;  // fails the test loudly if it cannot be made
    Redis redis;
    Server server(redis,
                  {"--heartbeat-interval-ms", std::to_string(kIntervalMs), "--heartbeat-timeout-ms",
                   std::to_string(kTimeoutMs)},
                  net.HostAddress());
    REQUIRE(sp::crypto::InitCrypto());
    TempDir dir;
    ListenClient listener(redis, server, "ho", dir, net.Exec());
    REQUIRE(server.Proc().WaitForOutput("session.started", 10s));
    for (int i = 0; i < 5; ++i) redis.Xadd("ho", "before", std::to_string(i));
    REQUIRE(Eventually([&] { return listener.DistinctEvents() == 5; }, 10s));

    net.DropAll();
    auto cut_at = std::chrono::steady_clock::now();
    for (int i = 0; i < 5; ++i) redis.Xadd("ho", "during", std::to_string(i));
    bool found =
        Eventually([&] { return server.Proc().Stderr().find("code=timeout") != std::string::npos; },
                   std::chrono::milliseconds(kTimeoutMs + kIntervalMs + 3000));
    auto found_after = Since(cut_at);
    MESSAGE("half-open connection closed by heartbeat after " << found_after.count() << " ms");
    REQUIRE(found);
    // Closed when no pong came for heartbeat_timeout_ms, checked at each
    // ping; the last pong came at most one interval before the cut.
    CHECK(found_after.count() <= kTimeoutMs + kIntervalMs + 500);
    CHECK(found_after.count() >= kTimeoutMs - kIntervalMs);

    net.Restore();
    // The client gives up on its silent connection (3 heartbeats without
    // anything received), reconnects, and the unacked events come again.
    CHECK(Eventually([&] { return listener.DistinctEvents() == 10; }, 30s));
    CHECK(Eventually([&] { return redis.Integer({"XLEN", "sp:{ho}:events"}) == 0; }, 10s));
  }
}  // TEST_SUITE("faults")
