// --workers N: one supervisor, N worker processes on one SO_REUSEPORT port.
// Clients spread over the workers, a worker killed with SIGKILL is started
// again and its clients lose nothing, /metrics of the supervisor sums the
// workers, and a stop (SIGTERM, or the supervisor's own death) leaves no
// process behind. --workers 1 stays one process.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/http_get.h"
#include "tests/support/server_env.h"

using namespace sp::testkit;
using namespace std::chrono_literals;

namespace {

// prefix + number (appended: GCC 12 warns falsely on "literal" + std::string).
std::string Name(const char* prefix, int n) {
  return std::string(prefix).append(std::to_string(n));
}

// index -> pid of every worker.started line so far (the latest per index).
std::map<int, pid_t> WorkerPids(const std::string& log) {
  std::map<int, pid_t> pids;
  std::regex started(R"re(worker\.started index="?(\d+)"? pid="?(\d+)"?)re");
  for (auto it = std::sregex_iterator(log.begin(), log.end(), started);
       it != std::sregex_iterator(); ++it)
    pids[std::stoi((*it)[1])] = static_cast<pid_t>(std::stol((*it)[2]));
  return pids;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Gone: no such process, or a zombie about to be reaped by init.
bool ProcessGone(pid_t pid) {
  if (kill(pid, 0) != 0) return true;
  std::string stat = ReadFile(Name("/proc/", pid).append("/stat"));
  size_t paren = stat.rfind(')');
  return paren == std::string::npos || (paren + 2 < stat.size() && stat[paren + 2] == 'Z');
}

long long Metric(int port, const std::string& name) {
  std::string body = HttpGet(port, "/metrics").body;
  size_t at = body.find(std::string("\n").append(name).append(" "));
  return at == std::string::npos ? -1 : std::atoll(body.c_str() + at + name.size() + 2);
}

struct Workers {
  explicit Workers(int n, std::vector<std::string> extra = {})
      : metrics_port(FreePort()), env(Args(n, metrics_port, std::move(extra))) {
    REQUIRE(WaitForPort(metrics_port, 5s));
  }
  static std::vector<std::string> Args(int n, int metrics_port, std::vector<std::string> extra) {
    extra.insert(extra.end(), {"--workers", std::to_string(n), "--metrics-listen",
                               Name("127.0.0.1:", metrics_port)});
    return extra;
  }
  std::string Node(const std::string& client) {
    return env.redis.String(
        {"HGET", std::string("sp:{").append(client).append("}:presence"), "node"});
  }
  int metrics_port;
  ServerEnv env;
};

}  // namespace

TEST_CASE("--workers 3: clients spread over the workers; /metrics sums them") {
  Workers w(3);
  std::map<int, pid_t> pids = WorkerPids(w.env.server.Proc().Stderr());
  REQUIRE(pids.size() == 3);
  std::set<pid_t> distinct;
  for (auto [index, pid] : pids) distinct.insert(pid);
  CHECK(distinct.size() == 3);
  CHECK(distinct.count(w.env.server.Proc().Pid()) == 0);  // the supervisor serves no client

  constexpr int kClients = 40;
  auto key = sp::crypto::GenerateKeyPair();
  std::vector<std::unique_ptr<WireClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    w.env.redis.Provision(Name("s", i), key);
    clients.push_back(w.env.Connect(Name("s", i), key));
  }
  std::map<std::string, int> per_node;
  REQUIRE(w.env.Eventually([&] {
    per_node.clear();
    for (int i = 0; i < kClients; ++i) ++per_node[w.Node(Name("s", i))];
    return per_node.count("") == 0;
  }));
  for (const auto& [node, n] : per_node) {
    MESSAGE(node << ": " << n << " clients");
    CHECK(node.rfind(Name("test-", w.env.server.Port()) + "-w", 0) == 0);
  }
  CHECK(per_node.size() > 1);  // the kernel spread them

  // Every one is served: an event each, delivered and acked.
  for (int i = 0; i < kClients; ++i) w.env.redis.Xadd(Name("s", i), "t", "hello");
  for (auto& c : clients) {
    auto m = c->ReceiveType("server-event", 5s);
    REQUIRE(m);
    REQUIRE(c->Ack((*m)["eventId"]));
  }
  CHECK(
      w.env.Eventually([&] { return Metric(w.metrics_port, "sealpost_connections") == kClients; }));
  CHECK(Metric(w.metrics_port, "sealpost_sessions") == kClients);
  CHECK(w.env.Eventually(
      [&] { return Metric(w.metrics_port, "sealpost_events_acked_total") == kClients; }));
  CHECK(Metric(w.metrics_port, "sealpost_sessions_started_total") == kClients);
  CHECK(Metric(w.metrics_port, "sealpost_redis_up") == 1);  // a flag: every worker's is up
  CHECK(Metric(w.metrics_port, "sealpost_workers") == 3);
  CHECK(Metric(w.metrics_port, "sealpost_workers_running") == 3);
  std::string body = HttpGet(w.metrics_port, "/metrics").body;
  CHECK(Count(body, "# TYPE sealpost_connections gauge") == 1);  // one family, summed

  CHECK(HttpGet(w.metrics_port, "/healthz").status == 200);
  CHECK(HttpGet(w.metrics_port, "/readyz").body == "ready\n");
  auto status = nlohmann::json::parse(HttpGet(w.metrics_port, "/status.json").body);
  CHECK(status["sessions"] == kClients);
  CHECK(status["workers"].size() == 3);
  CHECK(status["ready"] == true);
}

TEST_CASE("--workers 3: a worker killed with SIGKILL is started again, its clients lose nothing") {
  Workers w(3);
  constexpr int kClients = 30;
  auto key = sp::crypto::GenerateKeyPair();
  std::vector<std::string> ids;
  std::vector<std::unique_ptr<WireClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    ids.push_back(Name("k", i));
    w.env.redis.Provision(ids.back(), key);
    clients.push_back(w.env.Connect(ids.back(), key));
  }
  REQUIRE(w.env.Eventually([&] {
    for (const auto& id : ids)
      if (w.Node(id).empty()) return false;
    return true;
  }));
  // The victim: the worker of client k0.
  std::string victim_node = w.Node("k0");
  int victim = std::stoi(victim_node.substr(victim_node.rfind("-w") + 2));
  pid_t victim_pid = WorkerPids(w.env.server.Proc().Stderr()).at(victim);

  std::map<std::string, std::set<std::string>> pushed;  // client -> event ids
  std::map<std::string, std::set<std::string>> got;
  auto push = [&](const std::string& data) {
    for (const auto& id : ids) pushed[id].insert(w.env.redis.Xadd(id, "t", data));
  };
  push("before");
  REQUIRE(kill(victim_pid, SIGKILL) == 0);
  push("while");  // pushed while the victim is down or coming back

  REQUIRE(w.env.server.Proc().WaitForOutput("signal=SIGKILL", 5s));
  REQUIRE(w.env.Eventually([&] {
    auto now = WorkerPids(w.env.server.Proc().Stderr());
    return now.count(victim) && now[victim] != victim_pid;
  }));
  pid_t new_pid = WorkerPids(w.env.server.Proc().Stderr()).at(victim);
  CHECK(new_pid != victim_pid);
  CHECK(ProcessGone(victim_pid));
  CHECK(w.env.server.Proc().Running());  // the supervisor carries on

  // Every client receives all its events: those of the dead worker after
  // connecting again (to whichever worker the kernel picks).
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::string& id = ids[i];
    auto& c = clients[i];
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (got[id] != pushed[id] && std::chrono::steady_clock::now() < deadline) {
      if (c->Closed()) {
        // A worker that has just started may not have Redis yet: the client
        // hears "unavailable" (retry) and tries again, as real clients do.
        auto again = std::make_unique<WireClient>();
        if (!again->Connect(w.env.server.Port()) ||
            again->Handshake(w.env.server.PublicKey(), key, id) != "") {
          std::this_thread::sleep_for(100ms);
          continue;
        }
        c = std::move(again);
      }
      auto m = c->Receive(500ms);
      if (!m) continue;
      if ((*m)["type"] != "server-event") continue;
      got[id].insert((*m)["eventId"].get<std::string>());
      c->Ack((*m)["eventId"]);
    }
    CAPTURE(id);
    CHECK(got[id] == pushed[id]);
  }
  CHECK(Metric(w.metrics_port, "sealpost_worker_restarts_total") == 1);
  CHECK(w.env.Eventually([&] { return Metric(w.metrics_port, "sealpost_workers_running") == 3; }));
  // Counters never go down: the dead worker's last scraped totals are carried.
  CHECK(Metric(w.metrics_port, "sealpost_sessions_started_total") >= kClients);
}

TEST_CASE("--workers 3: SIGTERM to the supervisor drains every worker, exit 0, nothing left") {
  Workers w(3);
  std::map<int, pid_t> pids = WorkerPids(w.env.server.Proc().Stderr());
  REQUIRE(pids.size() == 3);
  auto key = sp::crypto::GenerateKeyPair();
  w.env.redis.Provision("t1", key);
  auto c = w.env.Connect("t1", key);
  REQUIRE(kill(w.env.server.Proc().Pid(), SIGTERM) == 0);
  CHECK(c->ReceiveType("goaway", 5s));
  CHECK(HttpGet(w.metrics_port, "/readyz").body == "not ready: draining\n");
  CHECK(w.env.server.Proc().Wait(15s) == 0);
  for (auto [index, pid] : pids) {
    CAPTURE(index);
    CHECK(ProcessGone(pid));
  }
  std::string log = w.env.server.Proc().Stderr();
  CHECK(Count(log, "worker.exited") == 3);
  CHECK(Count(log, "node.drained") == 3);
  CHECK(log.find(Name("node.stopped node=test-", w.env.server.Port()).append(" workers=3")) !=
        std::string::npos);
}

TEST_CASE("--workers 3: Ctrl-C (SIGINT to the whole process group) drains every worker too") {
  Workers w(3);
  std::map<int, pid_t> pids = WorkerPids(w.env.server.Proc().Stderr());
  REQUIRE(pids.size() == 3);
  // Each worker gets SIGINT from the terminal, then SIGTERM from the
  // supervisor: the second signal must not cut its drain short.
  REQUIRE(kill(-w.env.server.Proc().Pid(), SIGINT) == 0);
  CHECK(w.env.server.Proc().Wait(15s) == 0);
  for (auto [index, pid] : pids) {
    CAPTURE(index);
    CHECK(ProcessGone(pid));
  }
  std::string log = w.env.server.Proc().Stderr();
  CHECK(Count(log, "node.drained") == 3);
  CHECK(Count(log, "worker.exited") == 3);
  CHECK(log.find("signal=SIGTERM") == std::string::npos);  // no worker killed by a signal
}

TEST_CASE("--workers 2: workers stop when their supervisor is killed with SIGKILL") {
  Workers w(2);
  std::map<int, pid_t> pids = WorkerPids(w.env.server.Proc().Stderr());
  REQUIRE(pids.size() == 2);
  REQUIRE(kill(w.env.server.Proc().Pid(), SIGKILL) == 0);  // the supervisor alone
  for (auto [index, pid] : pids) {
    CAPTURE(index);
    CHECK(w.env.Eventually([&] { return ProcessGone(pid); }, 15s));
  }
}

TEST_CASE("--workers 2: a port no worker can bind fails the start (exit 1)") {
  // A listener without SO_REUSEPORT: nobody can share its port.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(listen(fd, 1) == 0);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  Redis redis;
  TempDir dir;
  std::string err;
  int code = Run({BinDir() + "/sealpost-server", "--workers", "2", "--listen",
                  Name("127.0.0.1:", ntohs(addr.sin_port)), "--redis", redis.Url(), "--key-file",
                  dir.File("k"), "--env-file", "/dev/null"},
                 nullptr, &err, 20s);
  close(fd);
  CHECK(code == 1);
  CHECK(err.find("workers.start_failed") != std::string::npos);
}

TEST_CASE("--workers 1 is one process, as before: no supervisor, the node id unchanged") {
  Workers w(1);
  std::string log = w.env.server.Proc().Stderr();
  CHECK(log.find("workers.starting") == std::string::npos);
  CHECK(log.find("listen.ready") != std::string::npos);
  auto key = sp::crypto::GenerateKeyPair();
  w.env.redis.Provision("one", key);
  auto c = w.env.Connect("one", key);
  CHECK(w.env.Eventually([&] { return w.Node("one") == Name("test-", w.env.server.Port()); }));
  CHECK(Metric(w.metrics_port, "sealpost_sessions") == 1);
  CHECK(Metric(w.metrics_port, "sealpost_workers") == -1);
}
