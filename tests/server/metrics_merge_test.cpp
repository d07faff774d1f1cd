// Merging workers' /metrics and /status.json into one node's.
#include "server/metrics_merge.h"

#include <doctest/doctest.h>

#include "server/http_fetch.h"
#include "server/status_merge.h"

using namespace sp::server;

namespace {

const char* kWorkerA =
    "# HELP sealpost_connections Open client connections\n"
    "# TYPE sealpost_connections gauge\n"
    "sealpost_connections 3\n"
    "# HELP sealpost_events_sent_total server-event messages sent\n"
    "# TYPE sealpost_events_sent_total counter\n"
    "sealpost_events_sent_total 10\n"
    "x_total{kind=\"a b\",z=\"1\"} 2 1700000000000\n";

const char* kWorkerB =
    "# HELP sealpost_connections Open client connections\n"
    "# TYPE sealpost_connections gauge\n"
    "sealpost_connections 4\n"
    "# TYPE sealpost_events_sent_total counter\n"
    "sealpost_events_sent_total 5\n"
    "x_total{kind=\"a b\",z=\"1\"} 1\n"
    "x_total{kind=\"c\"} 7\n"
    "not a sample line\n";

}  // namespace

TEST_CASE("samples with the same name and labels are added up, each family once") {
  Exposition total = ParseMetrics(kWorkerA);
  AddMetrics(&total, ParseMetrics(kWorkerB));
  std::string text = RenderMetrics(total);
  CHECK(text ==
        "# HELP sealpost_connections Open client connections\n"
        "# TYPE sealpost_connections gauge\n"
        "sealpost_connections 7\n"
        "# HELP sealpost_events_sent_total server-event messages sent\n"
        "# TYPE sealpost_events_sent_total counter\n"
        "sealpost_events_sent_total 15\n"
        "x_total{kind=\"a b\",z=\"1\"} 3\n"
        "x_total{kind=\"c\"} 7\n");
}

TEST_CASE("a restarted worker's counters are carried, its gauges are not") {
  CounterCarry carry;
  carry.Seen(100, ParseMetrics(kWorkerA));  // counters: 10
  CHECK(carry.Carried().empty());
  carry.Seen(100, ParseMetrics(kWorkerA));
  CHECK(carry.Carried().empty());
  carry.Seen(200, ParseMetrics(kWorkerB));  // a new run: the old one's 10 carried
  Exposition total = ParseMetrics(kWorkerB);
  AddMetrics(&total, carry.Carried());
  std::string text = RenderMetrics(total);
  CHECK(text.find("sealpost_events_sent_total 15\n") != std::string::npos);
  CHECK(text.find("sealpost_connections 4\n") != std::string::npos);  // gauge: this run only
  CHECK(RenderMetrics(carry.Last()).find("sealpost_events_sent_total 5\n") != std::string::npos);
}

TEST_CASE("status documents: sums, readiness from any worker, deepest queues of all") {
  nlohmann::json a = {{"node", "n-w0"},
                      {"ready", true},
                      {"not_ready_reason", ""},
                      {"redis",
                       {{"up", true},
                        {"subscriber_up", true},
                        {"notifications", true},
                        {"commands_sent", 10},
                        {"queued_acks", 1}}},
                      {"connections", 2},
                      {"sessions", 2},
                      {"handshakes_waiting", 0},
                      {"inflight", 3},
                      {"counters", {{"accepted", 5}, {"delivered", 7}}},
                      {"top_queues", {{{"client", "a"}, {"queued", 5}, {"dead", 0}}}},
                      {"top_queues_at_ms", 100},
                      {"top_queues_sampled", 2}};
  nlohmann::json b = a;
  b["node"] = "n-w1";
  b["ready"] = false;
  b["not_ready_reason"] = "redis down";
  b["redis"]["up"] = false;
  b["top_queues"] = {{{"client", "b"}, {"queued", 9}, {"dead", 1}}};
  NodeStatus node{"n", 5000, 1000, false, 20};
  nlohmann::json merged = MergeStatus(node, {{0, 11, a}, {1, 12, b}, {2, 0, nullptr}});
  CHECK(merged["node"] == "n");
  CHECK(merged["uptime_s"] == 4);
  CHECK(merged["ready"] == true);
  CHECK(merged["connections"] == 4);
  CHECK(merged["inflight"] == 6);
  CHECK(merged["counters"]["delivered"] == 14);
  CHECK(merged["redis"]["commands_sent"] == 20);
  CHECK(merged["redis"]["up"] == false);
  CHECK(merged["top_queues"][0]["client"] == "b");
  CHECK(merged["top_queues"].size() == 2);
  CHECK(merged["workers"].size() == 3);
  CHECK(merged["workers"][2]["answered"] == false);
  node.draining = true;
  merged = MergeStatus(node, {{0, 11, a}});
  CHECK(merged["ready"] == false);
  CHECK(merged["not_ready_reason"] == "draining");
}

TEST_CASE("HTTP responses from a worker are split into status and body") {
  FetchResult r;
  REQUIRE(ParseHttpResponse("HTTP/1.1 503 Service Unavailable\r\nA: b\r\n\r\nnot ready\n", &r));
  CHECK(r.status == 503);
  CHECK(r.body == "not ready\n");
  CHECK_FALSE(ParseHttpResponse("garbage", &r));
  CHECK_FALSE(ParseHttpResponse("HTTP/1.1 200 OK\r\n", &r));
}
