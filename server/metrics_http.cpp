#include "server/metrics_http.h"

#include <string_view>

#include "server/listener.h"

namespace sp::server {
namespace {

constexpr size_t kMaxRequest = 4096;
constexpr size_t kMaxOpen = 16;         // concurrent scrapes; more are refused
constexpr uint64_t kDeadlineMs = 5000;  // a scrape must be done by then
size_t g_open = 0;

struct HttpConn {
  uv_tcp_t tcp;
  uv_timer_t deadline;
  uv_write_t write;
  MetricsHttp::Render* render;
  std::string request;
  std::string response;
  bool answered = false;
  int open_handles = 2;  // tcp and deadline: freed after both close callbacks
};

// Two handles: the memory goes when the second close callback has run.
void CloseConn(HttpConn* c) {
  if (uv_is_closing(reinterpret_cast<uv_handle_t*>(&c->tcp))) return;
  auto done = [](uv_handle_t* h) {
    auto* conn = static_cast<HttpConn*>(h->data);
    if (--conn->open_handles == 0) {
      --g_open;
      delete conn;
    }
  };
  uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), done);
  uv_close(reinterpret_cast<uv_handle_t*>(&c->deadline), done);
}

void Respond(HttpConn* c, std::string_view status, const std::string& body) {
  c->answered = true;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&c->tcp));
  c->response = "HTTP/1.1 " + std::string(status) +
                "\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: " +
                std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  uv_buf_t buf = uv_buf_init(c->response.data(), static_cast<unsigned>(c->response.size()));
  c->write.data = c;
  if (uv_write(&c->write, reinterpret_cast<uv_stream_t*>(&c->tcp), &buf, 1,
               [](uv_write_t* w, int) { CloseConn(static_cast<HttpConn*>(w->data)); }) != 0) {
    CloseConn(c);
  }
}

void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* c = static_cast<HttpConn*>(stream->data);
  if (nread > 0 && !c->answered) c->request.append(buf->base, static_cast<size_t>(nread));
  delete[] buf->base;
  if (c->answered) return;
  if (nread < 0 || c->request.size() > kMaxRequest) {
    CloseConn(c);
    return;
  }
  if (c->request.find("\r\n\r\n") == std::string::npos) return;
  bool is_metrics = c->request.rfind("GET /metrics ", 0) == 0 || c->request.rfind("GET / ", 0) == 0;
  if (is_metrics)
    Respond(c, "200 OK", (*c->render)());
  else
    Respond(c, "404 Not Found", "not found\n");
}

}  // namespace

int MetricsHttp::Start(const std::string& host, int port) {
  listener_.data = this;
  int rc = Listen(loop_, &listener_, host, port, 128, &MetricsHttp::OnConnection);
  started_ = rc == 0;
  return rc;
}

void MetricsHttp::Stop() {
  if (started_) uv_close(reinterpret_cast<uv_handle_t*>(&listener_), nullptr);
  started_ = false;
}

void MetricsHttp::OnConnection(uv_stream_t* server, int status) {
  if (status < 0) return;
  auto* self = static_cast<MetricsHttp*>(server->data);
  auto* c = new HttpConn;
  ++g_open;
  c->render = &self->render_;
  c->tcp.data = c;
  c->deadline.data = c;
  uv_tcp_init(self->loop_, &c->tcp);
  uv_timer_init(self->loop_, &c->deadline);
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&c->tcp)) != 0 || g_open > kMaxOpen) {
    CloseConn(c);
    return;
  }
  uv_timer_start(
      &c->deadline, [](uv_timer_t* t) { CloseConn(static_cast<HttpConn*>(t->data)); }, kDeadlineMs,
      0);
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&c->tcp),
      [](uv_handle_t*, size_t, uv_buf_t* buf) { *buf = uv_buf_init(new char[1024], 1024); },
      &OnRead);
}

}  // namespace sp::server
