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
#include <memory>
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
  // An answer that needs other I/O first (a supervisor asking its workers).
  // `reply` may be called later, from the loop, once; after the connection
  // timed out or the server is gone it does nothing.
  using Reply = std::function<void(HttpResponse)>;
  using AsyncHandler = std::function<void(const HttpRequest&, Reply reply)>;
  HttpServer(uv_loop_t* loop, HttpLimits limits, Handler handler);
  HttpServer(uv_loop_t* loop, HttpLimits limits, AsyncHandler handler)
      : loop_(loop), limits_(limits), handler_(std::move(handler)) {}
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int Start(const std::string& host, int port);
  // The port bound (useful after Start with port 0); 0 when not listening.
  int Port() const;
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
  Conn* Find(uint64_t id);
  void Link(Conn* c);
  void Unlink(Conn* c);

  uv_loop_t* loop_;
  HttpLimits limits_;
  AsyncHandler handler_;
  std::shared_ptr<HttpServer*> self_ = std::make_shared<HttpServer*>(this);  // for late replies
  uint64_t next_id_ = 1;
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
