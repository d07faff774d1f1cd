// The operator endpoint of a supervisor (--workers > 1). It serves no client
// itself, so every answer is its workers' answers put together: each worker
// runs the usual endpoint (server/admin_routes.h) on a private loopback port
// and the supervisor asks all of them per request.
//   /metrics      samples with the same name and labels added up (metrics_merge.h),
//                 except the 0/1 flags (redis_up, keyspace_notifications): 1
//                 only when every worker's is 1; plus sealpost_workers, sealpost_workers_running,
//                 sealpost_worker_restarts_total
//   /healthz      200 while every worker answers its /healthz
//   /readyz       200 when at least one worker is ready; 503 while draining
//   /status.json  merged (status_merge.h), with one row per worker
//   /             the status page
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "server/http_fetch.h"
#include "server/http_server.h"
#include "server/metrics_merge.h"

namespace sp::server {

// What the supervisor knows of one worker slot right now.
struct WorkerEndpoint {
  int index = 0;
  int pid = 0;                    // 0: not running
  int admin_port = 0;             // 0: not reported yet
  CounterCarry* carry = nullptr;  // owned by the supervisor's slot
};

class NodeSource {
 public:
  virtual ~NodeSource() = default;
  virtual std::vector<WorkerEndpoint> Workers() = 0;
  virtual bool Stopping() const = 0;
  virtual uint64_t Restarts() const = 0;
};

class NodeRoutes {
 public:
  NodeRoutes(uv_loop_t* loop, NodeSource& source, std::string node, uint64_t fetch_timeout_ms);
  void operator()(const HttpRequest& request, HttpServer::Reply reply);
  // Ends the fetches in flight (their requests get what answered so far).
  void Stop() { fetcher_.CancelAll(); }

 private:
  using Answers = std::vector<std::pair<WorkerEndpoint, FetchResult>>;
  void AskAll(const std::string& path, std::function<void(Answers)> done);
  HttpResponse Metrics(const Answers& answers);
  HttpResponse Healthz(const Answers& answers) const;
  HttpResponse Readyz(const Answers& answers) const;
  HttpResponse Status(const Answers& answers) const;

  NodeSource& source_;
  std::string node_;
  uint64_t fetch_timeout_ms_;
  int64_t started_ms_;
  HttpFetcher fetcher_;
};

}  // namespace sp::server
