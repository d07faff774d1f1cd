// A small HTTP/1.1 listener for the operator endpoints (metrics, health,
// status page). It sits off the public port, and is hardened all the same:
// one request per connection, each bounded in size and in time, and a cap on
// open connections where a newcomer pushes out the oldest connection that has
// not finished its request, so that idle or slow peers cannot hold the
// endpoint against a scraper or a health probe.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>

#include "server/http_request.h"

namespace sp::server {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

struct HttpLimits {
  size_t max_connections = 64;      // open at once; see the header comment
  uint64_t timeout_ms = 2000;       // from accept to the last byte written
  size_t max_request_bytes = 8192;  // request line and headers
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;
  HttpServer(uv_loop_t* loop, HttpLimits limits, Handler handler)
      : loop_(loop), limits_(limits), handler_(std::move(handler)) {}
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int Start(const std::string& host, int port);
  // Stops listening and closes every open connection. Call it while the loop
  // still runs (the close callbacks free the connections).
  void Stop();
  size_t OpenConnections() const { return open_; }

 private:
  struct Conn;
  static void OnConnection(uv_stream_t* listener, int status);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  void Answer(Conn* c, const HttpResponse& response, bool head_only);
  void Close(Conn* c);
  bool EvictOldestUnanswered();
  void Link(Conn* c);
  void Unlink(Conn* c);

  uv_loop_t* loop_;
  HttpLimits limits_;
  Handler handler_;
  uv_tcp_t listener_;
  bool listening_ = false;
  size_t open_ = 0;
  Conn* oldest_ = nullptr;  // open connections in accept order
  Conn* newest_ = nullptr;
  char read_buffer_[4096];  // one loop, one reader at a time: copied out at once
};

// "200 OK", "404 Not Found", ...
const char* HttpStatusLine(int status);

}  // namespace sp::server
