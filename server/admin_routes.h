// What the operator endpoint answers, by path:
//   /metrics      Prometheus text exposition
//   /healthz      200 while the process runs its loop (liveness)
//   /readyz       200 when Redis is reachable and the node accepts clients,
//                 503 with the reason otherwise (readiness: load balancers,
//                 orchestrators and rolling restarts key on it)
//   /status.json  the status page's data (server/status_board.h)
//   /             the status page itself, one static HTML file
#pragma once

#include "connections/hub.h"
#include "server/http_server.h"
#include "server/status_board.h"
#include "services/services.h"

namespace sp::server {

class AdminRoutes {
 public:
  AdminRoutes(connections::Hub& hub, services::Services& services, StatusBoard& board)
      : hub_(hub), services_(services), board_(board) {}

  HttpResponse operator()(const HttpRequest& request);

 private:
  connections::Hub& hub_;
  services::Services& services_;
  StatusBoard& board_;
};

}  // namespace sp::server
