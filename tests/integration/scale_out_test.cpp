// Several sealpost nodes on a real Redis Cluster (3 primaries, with or
// without a replica each) and on a real Sentinel-managed primary, with
// sealpost-sim clients spread over the nodes: nothing acknowledged to a
// producer may be lost when a node dies, a primary fails over, or slots
// move between primaries while clients receive.
#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "crypto/keys.h"
#include "tests/support/cluster.h"
#include "tests/support/eventually.h"
#include "tests/support/fault_tools.h"
#include "tests/support/http_get.h"
#include "tests/support/process.h"
#include "tests/support/redis_cluster.h"
#include "tests/support/redis_sentinel.h"
#include "tests/support/temp_dir.h"

using namespace sp::testkit;
using namespace std::chrono_literals;

namespace {

// N sealpost nodes of one deployment (one key) on one Redis URL, each a
// single process with its own operator port.
struct Nodes {
  Nodes(const std::string& redis_url, int count, const std::string& ready_line) {
    for (int i = 0; i < count; ++i) {
      metrics_ports.push_back(FreePort());
      servers.push_back(std::make_unique<Server>(
          redis_url, key,
          std::vector<std::string>{"--workers", "1", "--metrics-listen",
                                   "127.0.0.1:" + std::to_string(metrics_ports.back()),
                                   "--node-beat-ms", "500", "--node-ttl-ms", "2000"}));
      REQUIRE(servers.back()->Proc().WaitForOutput(ready_line, 15s));
    }
  }
  std::string List() const {
    std::string list;
    for (const auto& s : servers) {
      if (!list.empty()) list += ",";
      list += s->Host() + ":" + std::to_string(s->Port());
    }
    return list;
  }
  // A counter summed over the nodes still running.
  double Metric(const std::string& name) {
    double sum = 0;
    for (size_t i = 0; i < servers.size(); ++i) {
      if (!servers[i]->Proc().Running()) continue;
      HttpReply r = HttpGet(metrics_ports[i], "/metrics");
      size_t at = r.body.find("\n" + name + " ");
      if (at != std::string::npos) sum += std::stod(r.body.substr(at + name.size() + 2));
    }
    return sum;
  }
  sp::crypto::KeyPair key = sp::crypto::GenerateKeyPair();
  std::vector<int> metrics_ports;
  std::vector<std::unique_ptr<Server>> servers;
};

std::vector<std::string> SimArgsFor(const Nodes& nodes, const std::string& redis_url, int clients,
                                    double duration_s, double rate,
                                    const std::vector<std::string>& extra = {}) {
  return SimArgs(nodes.List(), nodes.servers.front()->PublicKey(), redis_url, clients, duration_s,
                 rate, extra);
}

nlohmann::json Summary(Process& sim, int* exit_code) {
  *exit_code = sim.Wait(90s);
  if (*exit_code == -1) sim.Stop(SIGINT, 10s);
  std::string out = sim.Stdout();
  while (!out.empty() && out.back() == '\n') out.pop_back();
  size_t line = out.rfind('\n');
  auto j =
      nlohmann::json::parse(line == std::string::npos ? out : out.substr(line + 1), nullptr, false);
  INFO("sim stdout: " << Tail(out, 2000) << "\nsim stderr (tail): " << Tail(sim.Stderr(), 3000));
  REQUIRE(j.is_object());
  return j;
}

void CheckSpread(const nlohmann::json& summary, const Nodes& nodes) {
  for (const auto& server : nodes.servers) {
    std::string address = server->Host() + ":" + std::to_string(server->Port());
    INFO("sessions per server: " << summary["server_sessions"].dump());
    CHECK(summary["server_sessions"].value(address, 0) > 0);
  }
}

}  // namespace

TEST_SUITE("scale-out") {
  TEST_CASE(
      "cluster: 3 primaries, 3 nodes, clients with churn spread over the nodes lose nothing") {
    RedisCluster cluster(3, 0);
    Nodes nodes(cluster.Url(), 3, "redis.cluster_up");
    TempDir dir;
    Process sim(SimArgsFor(nodes, cluster.Url(), 60, 5, 300,
                           {"--churn", "10", "--client-events", "20", "--keep"}),
                dir.File("sim"));
    int code = 0;
    nlohmann::json s = Summary(sim, &code);
    MESSAGE("sim summary: " << s.dump());
    CHECK(code == 0);
    CHECK(s["sent"].get<uint64_t>() > 1000);
    CHECK(s["lost"] == 0);
    CheckSpread(s, nodes);
    // Client-events went to the 16 inbound shards, spread over the primaries.
    uint64_t stored = 0;
    int shards_used = 0;
    for (int shard = 0; shard < 16; ++shard) {
      long long len = cluster.Integer({"XLEN", "sp:inbound:{" + std::to_string(shard) + "}"});
      stored += static_cast<uint64_t>(std::max(0LL, len));
      shards_used += len > 0;
    }
    CHECK(stored == s["client_events"]["acked"].get<uint64_t>());
    CHECK(shards_used > 4);
    CHECK(cluster.Integer({"EXISTS", "sp:inbound"}) == 0);  // no hot global stream
  }

  TEST_CASE(
      "scale-out: cluster: a sealpost node killed mid-run: its clients move on and nothing is "
      "lost") {
    RedisCluster cluster(3, 0);
    Nodes nodes(cluster.Url(), 3, "redis.cluster_up");
    TempDir dir;
    // A client of the doomed node alone, which dies with it (its machine went too).
    sp::crypto::KeyPair orphan_key = sp::crypto::GenerateKeyPair();
    std::string orphan_key_file = dir.File("orphan.key");
    REQUIRE(sp::crypto::WriteKeyFile(orphan_key_file, orphan_key) == sp::crypto::KeyFileError::Ok);
    cluster.Provision("orphan", orphan_key);
    auto listen = [&](Server& server, const std::string& name, int exit_after) {
      return Process(
          {BinDir() + "/sealpost", "listen", "--id", "orphan", "--key", orphan_key_file, "--server",
           server.Host() + ":" + std::to_string(server.Port()), "--server-pk", server.PublicKey(),
           "--exit-after", std::to_string(exit_after)},
          dir.File(name));
    };
    Process first = listen(*nodes.servers[0], "listen-first", 1000);
    std::string dead_node = "test-" + std::to_string(nodes.servers[0]->Port());
    REQUIRE(Eventually(
        [&] {
          return cluster.String({"HGET", "sp:{orphan}:presence", "node"}) == dead_node;
        },
        10s));

    Process sim(SimArgsFor(nodes, cluster.Url(), 45, 8, 300, {"--churn", "5"}), dir.File("sim"));
    REQUIRE(sim.WaitForOutput("pushing", 20s));
    std::this_thread::sleep_for(2s);
    nodes.servers[0]->Kill9();
    first.Kill9();
    std::string pending = cluster.Xadd("orphan", "while", "away");

    // The survivors notice the dead node (its entry expired: --node-ttl-ms
    // 2000) and clean up after it: registry, client list, and the presence
    // of its clients that did not come back.
    CHECK(Eventually(
        [&] {
          return cluster.Integer({"SISMEMBER", "sp:nodes", dead_node}) == 0;
        },
        15s));
    CHECK(cluster.Integer({"EXISTS", "sp:node:" + dead_node}) == 0);
    CHECK(cluster.Integer({"EXISTS", "sp:node:" + dead_node + ":clients"}) == 0);
    CHECK(cluster.Integer({"EXISTS", "sp:{orphan}:presence"}) == 0);

    int code = 0;
    nlohmann::json s = Summary(sim, &code);
    MESSAGE("sim summary: " << s.dump());
    CHECK(code == 0);
    CHECK(s["lost"] == 0);
    CHECK(s["sent"].get<uint64_t>() > 1500);

    // The orphan's event waited in its stream: it arrives on another node.
    Process again = listen(*nodes.servers[1], "listen-again", 1);
    CHECK(again.Wait(15s) == 0);
    CHECK(again.Stdout().find(pending) != std::string::npos);
  }

  TEST_CASE(
      "cluster with replicas: a primary killed mid-run fails over; replicated pushes all arrive") {
    RedisCluster cluster(3, 1);
    Nodes nodes(cluster.Url(), 2, "redis.cluster_up");
    TempDir dir;
    Process sim(SimArgsFor(nodes, cluster.Url(), 40, 8, 200, {"--wait-replicas", "1"}),
                dir.File("sim"));
    REQUIRE(sim.WaitForOutput("pushing", 20s));
    std::this_thread::sleep_for(2s);
    int victim = cluster.PrimaryPorts().front();
    cluster.Kill9Primary(victim);
    int promoted = cluster.WaitForFailover(victim, 20s);
    REQUIRE(promoted > 0);
    int code = 0;
    nlohmann::json s = Summary(sim, &code);
    MESSAGE("sim summary: " << s.dump());
    CHECK(code == 0);
    CHECK(s["lost"] == 0);
    CHECK(s["sent"].get<uint64_t>() > 600);
    // Every node follows the new primary.
    CHECK(
        Eventually([&] { return nodes.Metric("sealpost_redis_primary_changes_total") >= 2; }, 10s));
    CHECK(Eventually([&] { return nodes.Metric("sealpost_redis_up") == 2; }, 10s));
  }

  TEST_CASE("cluster: slots resharded while clients receive: nothing lost, redirects counted") {
    RedisCluster cluster(3, 0);
    Nodes nodes(cluster.Url(), 2, "redis.cluster_up");
    TempDir dir;
    Process sim(SimArgsFor(nodes, cluster.Url(), 60, 10, 300, {"--churn", "5"}), dir.File("sim"));
    REQUIRE(sim.WaitForOutput("pushing", 20s));
    std::vector<int> primaries = cluster.PrimaryPorts();
    cluster.Reshard(primaries[0], primaries[1], 3000);
    cluster.Reshard(primaries[1], primaries[2], 3000);
    int code = 0;
    nlohmann::json s = Summary(sim, &code);
    MESSAGE("sim summary: " << s.dump());
    CHECK(code == 0);
    CHECK(s["lost"] == 0);
    double moved = nodes.Metric("sealpost_redis_moved_total");
    double ask = nodes.Metric("sealpost_redis_ask_total");
    double refreshes = nodes.Metric("sealpost_redis_map_refreshes_total");
    MESSAGE("MOVED " << moved << ", ASK " << ask << ", slot maps " << refreshes);
    CHECK(moved + ask > 0);
  }

  TEST_CASE(
      "sentinel: the primary killed mid-run: the nodes follow the promoted replica; replicated "
      "pushes all arrive") {
    RedisSentinel sentinel(3);
    Nodes nodes(sentinel.Url(), 2, "redis.connected");
    TempDir dir;
    Process sim(SimArgsFor(nodes, sentinel.Url(), 40, 9, 200, {"--wait-replicas", "1"}),
                dir.File("sim"));
    REQUIRE(sim.WaitForOutput("pushing", 20s));
    std::this_thread::sleep_for(2s);
    sentinel.Kill9Primary();
    int promoted = sentinel.WaitForFailover(20s);
    REQUIRE(promoted > 0);
    int code = 0;
    nlohmann::json s = Summary(sim, &code);
    MESSAGE("sim summary: " << s.dump());
    if (std::getenv("SCALE_OUT_DEBUG")) {
      for (auto& server : nodes.servers) MESSAGE(Tail(server->Proc().Stderr(), 6000));
      MESSAGE(Tail(sim.Stderr(), 3000));
    }
    CHECK(code == 0);
    CHECK(s["lost"] == 0);
    // After the failover the new primary has no replica: WAIT confirms
    // nothing, and such pushes, though delivered, are not counted as sent.
    CHECK(s["sent"].get<uint64_t>() > 200);
    CHECK(
        Eventually([&] { return nodes.Metric("sealpost_redis_primary_changes_total") >= 2; }, 10s));
  }
}
