// A plain HTTP/1.1 GET on 127.0.0.1 for the server's metrics listener
// (/metrics, /healthz, /readyz): enough to read a status line and a body.
#pragma once

#include <chrono>
#include <string>

namespace sp::testkit {

struct HttpResponse {
  int status = 0;  // 0: no answer (refused, closed early, timed out)
  std::string body;
};

HttpResponse HttpGet(int port, const std::string& path,
                     std::chrono::milliseconds timeout = std::chrono::seconds(2));

}  // namespace sp::testkit
