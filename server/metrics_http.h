// A minimal HTTP endpoint for Prometheus: GET /metrics (anything else 404).
// Requests are bounded (4 KiB, 5 s, 16 at a time); one response per connection.
#pragma once

#include <uv.h>

#include <functional>
#include <string>

namespace sp::server {

class MetricsHttp {
 public:
  using Render = std::function<std::string()>;
  MetricsHttp(uv_loop_t* loop, Render render) : loop_(loop), render_(std::move(render)) {}
  int Start(const std::string& host, int port);
  void Stop();

 private:
  static void OnConnection(uv_stream_t* server, int status);
  uv_loop_t* loop_;
  Render render_;
  uv_tcp_t listener_;
  bool started_ = false;
};

}  // namespace sp::server
