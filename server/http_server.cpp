#include "server/http_server.h"

#include <netinet/in.h>

#include "server/listener.h"

namespace sp::server {

struct HttpServer::Conn {
  HttpServer* server = nullptr;
  uint64_t id = 0;  // never reused: a late reply finds its connection or nothing
  uv_tcp_t tcp;
  uv_timer_t deadline;
  uv_write_t write;
  std::string request;
  std::string response;
  bool answered = false;
  bool closing = false;
  int open_handles = 2;  // tcp and deadline: freed after both close callbacks
  Conn* prev = nullptr;  // toward older
  Conn* next = nullptr;  // toward newer
};

const char* HttpStatusLine(int status) {
  switch (status) {
    case 200:
      return "200 OK";
    case 400:
      return "400 Bad Request";
    case 404:
      return "404 Not Found";
    case 405:
      return "405 Method Not Allowed";
    case 503:
      return "503 Service Unavailable";
    default:
      return "500 Internal Server Error";
  }
}

HttpServer::HttpServer(uv_loop_t* loop, HttpLimits limits, Handler handler)
    : loop_(loop),
      limits_(limits),
      handler_([handler = std::move(handler)](const HttpRequest& request, Reply reply) {
        reply(handler(request));
      }) {}

int HttpServer::Port() const {
  if (!listening_) return 0;
  sockaddr_storage addr{};
  int len = sizeof addr;
  if (uv_tcp_getsockname(&listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
  if (addr.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
}

int HttpServer::Start(const std::string& host, int port) {
  listener_.data = this;
  int rc = Listen(loop_, &listener_, host, port, 128, &HttpServer::OnConnection);
  listening_ = rc == 0;
  return rc;
}

void HttpServer::Stop() {
  if (listening_ && !uv_is_closing(reinterpret_cast<uv_handle_t*>(&listener_)))
    uv_close(reinterpret_cast<uv_handle_t*>(&listener_), nullptr);
  listening_ = false;
  for (Conn* c = oldest_; c != nullptr;) {
    Conn* next = c->next;
    Close(c);
    c = next;
  }
}

void HttpServer::Link(Conn* c) {
  c->prev = newest_;
  if (newest_) newest_->next = c;
  newest_ = c;
  if (!oldest_) oldest_ = c;
  ++open_;
}

void HttpServer::Unlink(Conn* c) {
  (c->prev ? c->prev->next : oldest_) = c->next;
  (c->next ? c->next->prev : newest_) = c->prev;
  c->prev = c->next = nullptr;
  --open_;
}

// Two handles: the memory goes when the second close callback has run. The
// connection leaves the list at once, so it no longer counts toward the cap.
void HttpServer::Close(Conn* c) {
  if (c->closing) return;
  c->closing = true;
  Unlink(c);
  auto done = [](uv_handle_t* h) {
    auto* conn = static_cast<Conn*>(h->data);
    if (--conn->open_handles == 0) delete conn;
  };
  uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), done);
  uv_close(reinterpret_cast<uv_handle_t*>(&c->deadline), done);
}

// A connection still waiting for its request holds nothing a client is owed;
// one being answered is left to finish.
bool HttpServer::EvictOldestUnanswered() {
  for (Conn* c = oldest_; c != nullptr; c = c->next) {
    if (!c->answered) {
      Close(c);
      return true;
    }
  }
  return false;
}

HttpServer::Conn* HttpServer::Find(uint64_t id) {
  for (Conn* c = oldest_; c != nullptr; c = c->next)
    if (c->id == id) return c;
  return nullptr;
}

void HttpServer::OnConnection(uv_stream_t* listener, int status) {
  if (status < 0) return;
  auto* self = static_cast<HttpServer*>(listener->data);
  auto* c = new Conn;
  c->server = self;
  c->id = self->next_id_++;
  c->tcp.data = c;
  c->deadline.data = c;
  uv_tcp_init(self->loop_, &c->tcp);
  uv_timer_init(self->loop_, &c->deadline);
  bool room = self->open_ < self->limits_.max_connections || self->EvictOldestUnanswered();
  self->Link(c);
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(&c->tcp)) != 0 || !room) {
    self->Close(c);
    return;
  }
  uv_timer_start(
      &c->deadline,
      [](uv_timer_t* t) {
        auto* conn = static_cast<Conn*>(t->data);
        conn->server->Close(conn);
      },
      self->limits_.timeout_ms, 0);
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&c->tcp),
      [](uv_handle_t* h, size_t, uv_buf_t* buf) {
        HttpServer* server = static_cast<Conn*>(h->data)->server;
        *buf = uv_buf_init(server->read_buffer_, sizeof(server->read_buffer_));
      },
      &HttpServer::OnRead);
}

void HttpServer::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* c = static_cast<Conn*>(stream->data);
  HttpServer* self = c->server;
  if (c->answered || nread == 0) return;
  if (nread < 0) {
    self->Close(c);
    return;
  }
  c->request.append(buf->base, static_cast<size_t>(nread));
  HttpRequest request;
  switch (ParseRequestHead(c->request, self->limits_.max_request_bytes, &request)) {
    case HeadParse::Incomplete:
      return;
    case HeadParse::Malformed:
      self->Answer(c, {400, "text/plain; charset=utf-8", "bad request\n"}, false);
      return;
    case HeadParse::Complete:
      break;
  }
  bool head_only = request.method == "HEAD";
  if (request.method != "GET" && !head_only) {
    self->Answer(c, {405, "text/plain; charset=utf-8", "only GET and HEAD\n"}, false);
    return;
  }
  // The request is complete: from here the connection waits for its answer
  // and is no longer one an idle newcomer may evict.
  c->answered = true;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&c->tcp));
  std::weak_ptr<HttpServer*> server = self->self_;
  self->handler_(request, [server, id = c->id, head_only](HttpResponse response) {
    std::shared_ptr<HttpServer*> alive = server.lock();
    if (!alive) return;
    HttpServer* s = *alive;
    if (Conn* conn = s->Find(id); conn != nullptr && conn->response.empty())
      s->Answer(conn, response, head_only);
  });
}

// One response, then the connection closes (Connection: close): no keep-alive
// state to bound, and scrapers reconnect cheaply on loopback.
void HttpServer::Answer(Conn* c, const HttpResponse& response, bool head_only) {
  c->answered = true;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&c->tcp));
  std::string& out = c->response;
  out.append("HTTP/1.1 ").append(HttpStatusLine(response.status));
  out.append("\r\nContent-Type: ").append(response.content_type);
  out.append("\r\nContent-Length: ").append(std::to_string(response.body.size()));
  out.append(
      "\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
      "Connection: close\r\n\r\n");
  if (!head_only) out.append(response.body);
  uv_buf_t buf = uv_buf_init(out.data(), static_cast<unsigned>(out.size()));
  c->write.data = c;
  int rc =
      uv_write(&c->write, reinterpret_cast<uv_stream_t*>(&c->tcp), &buf, 1, [](uv_write_t* w, int) {
        auto* conn = static_cast<Conn*>(w->data);
        conn->server->Close(conn);
      });
  if (rc != 0) Close(c);
}

}  // namespace sp::server
