#include "server/node_routes.h"

#include <memory>
#include <nlohmann/json.hpp>

#include "server/status_merge.h"
#include "server/status_page.h"  // generated from status_page.html
#include "shared/messages.h"

namespace sp::server {
namespace {

constexpr const char* kText = "text/plain; charset=utf-8";

void NodeMetric(Exposition* out, const char* name, const char* type, const char* help,
                double value) {
  out->push_back({name, help, type, {{name, value}}});
}

}  // namespace

NodeRoutes::NodeRoutes(uv_loop_t* loop, NodeSource& source, std::string node,
                       uint64_t fetch_timeout_ms)
    : source_(source),
      node_(std::move(node)),
      fetch_timeout_ms_(fetch_timeout_ms),
      started_ms_(proto::NowMs()),
      fetcher_(loop) {}

void NodeRoutes::operator()(const HttpRequest& request, HttpServer::Reply reply) {
  const std::string path(request.path);
  if (path == "/" || path == "/index.html")
    return reply({200, "text/html; charset=utf-8", std::string(kStatusPageHtml)});
  // Stopping: every worker drains, and a load balancer must hear it at once.
  if (path == "/readyz" && source_.Stopping()) return reply({503, kText, "not ready: draining\n"});
  HttpResponse (NodeRoutes::*render)(const Answers&) const = nullptr;
  if (path == "/healthz") render = &NodeRoutes::Healthz;
  if (path == "/readyz") render = &NodeRoutes::Readyz;
  if (path == "/status.json") render = &NodeRoutes::Status;
  if (path == "/metrics") {
    return AskAll(path, [this, reply](Answers answers) { reply(Metrics(answers)); });
  }
  if (render == nullptr) return reply({404, kText, "not found\n"});
  AskAll(path, [this, render, reply](Answers answers) { reply((this->*render)(answers)); });
}

// One request per worker with a port, all at once; `done` runs when the last
// has answered or given up (at once when no worker has a port).
void NodeRoutes::AskAll(const std::string& path, std::function<void(Answers)> done) {
  struct Round {
    Answers answers;
    size_t pending = 0;
    std::function<void(Answers)> done;
  };
  auto round = std::make_shared<Round>();
  round->done = std::move(done);
  std::vector<WorkerEndpoint> workers = source_.Workers();
  for (const WorkerEndpoint& w : workers) {
    round->answers.push_back({w, FetchResult{}});
    if (w.pid != 0 && w.admin_port != 0) ++round->pending;
  }
  if (round->pending == 0) return round->done(std::move(round->answers));
  for (size_t i = 0; i < workers.size(); ++i) {
    if (workers[i].pid == 0 || workers[i].admin_port == 0) continue;
    fetcher_.Get(workers[i].admin_port, path, fetch_timeout_ms_, [round, i](FetchResult r) {
      round->answers[i].second = std::move(r);
      if (--round->pending == 0) round->done(std::move(round->answers));
    });
  }
}

HttpResponse NodeRoutes::Metrics(const Answers& answers) {
  Exposition total;
  size_t running = 0;
  for (const auto& [w, r] : answers) {
    if (w.pid != 0) ++running;
    if (r.status == 200) {
      Exposition part = ParseMetrics(r.body);
      if (w.carry) w.carry->Seen(w.pid, part);
      AddMetrics(&total, part);
    } else if (w.carry) {
      // No answer this time: its counters as last seen, so no sum goes down.
      AddMetrics(&total, w.carry->Last());
    }
    if (w.carry) AddMetrics(&total, w.carry->Carried());
  }
  // Flags (1/0) stay flags: 1 only when every worker says 1, so alerts on
  // "== 0" and dashboards read the same as for a single process.
  for (MetricFamily& f : total) {
    if (f.name != "sealpost_redis_up" && f.name != "sealpost_keyspace_notifications") continue;
    for (MetricSample& sample : f.samples)
      sample.value = sample.value >= static_cast<double>(answers.size()) ? 1 : 0;
  }
  NodeMetric(&total, "sealpost_workers", "gauge", "Worker processes configured (--workers)",
             static_cast<double>(answers.size()));
  NodeMetric(&total, "sealpost_workers_running", "gauge", "Worker processes running",
             static_cast<double>(running));
  NodeMetric(&total, "sealpost_worker_restarts_total", "counter",
             "Workers restarted after they died", static_cast<double>(source_.Restarts()));
  return {200, "text/plain; version=0.0.4; charset=utf-8", RenderMetrics(total)};
}

HttpResponse NodeRoutes::Healthz(const Answers& answers) const {
  if (source_.Stopping()) return {200, kText, "ok\n"};  // alive, draining
  for (const auto& [w, r] : answers) {
    if (r.status != 200)
      return {503, kText, std::string("worker ").append(std::to_string(w.index)) + " down\n"};
  }
  return {200, kText, "ok\n"};
}

// Ready when any worker is: the kernel hands new connections only to workers
// that listen, and workers share one Redis, so "one ready, one not" is a
// worker restarting (not listening yet) far more often than anything else.
HttpResponse NodeRoutes::Readyz(const Answers& answers) const {
  std::string reason;
  for (const auto& [w, r] : answers) {
    if (r.status == 200) return {200, kText, "ready\n"};
    if (reason.empty() && r.status == 503) reason = r.body;
  }
  if (reason.empty()) reason = "not ready: no worker running\n";
  return {503, kText, reason};
}

HttpResponse NodeRoutes::Status(const Answers& answers) const {
  NodeStatus node;
  node.node = node_;
  node.now_ms = proto::NowMs();
  node.started_ms = started_ms_;
  node.draining = source_.Stopping();
  std::vector<WorkerStatus> workers;
  for (const auto& [w, r] : answers) {
    WorkerStatus ws;
    ws.index = w.index;
    ws.pid = w.pid;
    if (r.status == 200) ws.doc = nlohmann::json::parse(r.body, nullptr, false);
    if (ws.doc.is_discarded()) ws.doc = nullptr;
    workers.push_back(std::move(ws));
  }
  return {200, "application/json", MergeStatus(node, workers).dump()};
}

}  // namespace sp::server
