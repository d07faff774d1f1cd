#include "server/admin_routes.h"

#include "server/metrics.h"
#include "server/status_page.h"  // generated from status_page.html

namespace sp::server {

HttpResponse AdminRoutes::operator()(const HttpRequest& request) {
  const std::string_view path = request.path;
  if (path == "/metrics")
    return {200, "text/plain; version=0.0.4; charset=utf-8", RenderMetrics(hub_, services_)};
  if (path == "/healthz") return {200, "text/plain; charset=utf-8", "ok\n"};
  if (path == "/readyz") {
    std::string reason = board_.NotReadyReason();
    if (reason.empty()) return {200, "text/plain; charset=utf-8", "ready\n"};
    return {503, "text/plain; charset=utf-8", std::string("not ready: ").append(reason) + "\n"};
  }
  if (path == "/status.json") return {200, "application/json", board_.Json()};
  if (path == "/" || path == "/index.html")
    return {200, "text/html; charset=utf-8", std::string(kStatusPageHtml)};
  return {404, "text/plain; charset=utf-8", "not found\n"};
}

}  // namespace sp::server
