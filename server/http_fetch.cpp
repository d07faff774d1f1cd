#include "server/http_fetch.h"

#include <cstdlib>

namespace sp::server {
namespace {

constexpr size_t kMaxResponseBytes = 64u << 20;  // a /metrics or /status.json is far smaller

}  // namespace

struct HttpFetcher::Fetch {
  HttpFetcher* owner = nullptr;
  Done done;
  uv_tcp_t tcp;
  uv_timer_t deadline;
  uv_connect_t connect;
  uv_write_t write;
  std::string request;
  std::string response;
  bool finished = false;
  int open_handles = 2;  // tcp and deadline: freed after both close callbacks
  Fetch* prev = nullptr;
  Fetch* next = nullptr;
};

bool ParseHttpResponse(const std::string& raw, FetchResult* out) {
  if (raw.rfind("HTTP/1.", 0) != 0 || raw.size() < 12 || raw[8] != ' ') return false;
  size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos) return false;
  int status = std::atoi(raw.c_str() + 9);
  if (status < 100 || status > 599) return false;
  out->status = status;
  out->body = raw.substr(head_end + 4);
  return true;
}

void HttpFetcher::Get(int port, const std::string& path, uint64_t timeout_ms, Done done) {
  auto* f = new Fetch;
  f->owner = this;
  f->done = std::move(done);
  f->tcp.data = f;
  f->deadline.data = f;
  f->connect.data = f;
  f->write.data = f;
  f->request = std::string("GET ").append(path).append(
      " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  f->next = first_;
  if (first_) first_->prev = f;
  first_ = f;
  uv_tcp_init(loop_, &f->tcp);
  uv_timer_init(loop_, &f->deadline);
  uv_timer_cb expire = [](uv_timer_t* t) {
    auto* fetch = static_cast<Fetch*>(t->data);
    fetch->owner->Finish(fetch, {});
  };
  uv_timer_start(&f->deadline, expire, timeout_ms, 0);
  sockaddr_in addr{};
  uv_ip4_addr("127.0.0.1", port, &addr);
  int rc =
      uv_tcp_connect(&f->connect, &f->tcp, reinterpret_cast<const sockaddr*>(&addr),
                     [](uv_connect_t* req, int status) {
                       auto* fetch = static_cast<Fetch*>(req->data);
                       if (fetch->finished) return;
                       if (status != 0) return fetch->owner->Finish(fetch, {});
                       uv_buf_t buf = uv_buf_init(fetch->request.data(),
                                                  static_cast<unsigned>(fetch->request.size()));
                       auto* stream = reinterpret_cast<uv_stream_t*>(&fetch->tcp);
                       if (uv_write(&fetch->write, stream, &buf, 1, [](uv_write_t*, int) {}) != 0)
                         return fetch->owner->Finish(fetch, {});
                       uv_read_start(
                           stream,
                           [](uv_handle_t*, size_t suggested, uv_buf_t* b) {
                             // The buffer is freed in the read callback.
                             *b = uv_buf_init(static_cast<char*>(std::malloc(suggested)),
                                              static_cast<unsigned>(suggested));
                           },
                           [](uv_stream_t* s, ssize_t nread, const uv_buf_t* b) {
                             auto* ft = static_cast<Fetch*>(s->data);
                             if (nread > 0)
                               ft->response.append(b->base, static_cast<size_t>(nread));
                             std::free(b->base);
                             if (ft->finished) return;
                             if (nread == UV_EOF) {
                               FetchResult result;
                               if (!ParseHttpResponse(ft->response, &result)) result = {};
                               return ft->owner->Finish(ft, std::move(result));
                             }
                             if (nread < 0 || ft->response.size() > kMaxResponseBytes)
                               ft->owner->Finish(ft, {});
                           });
                     });
  // A failed connect still reports through the loop, never from inside Get.
  if (rc != 0) uv_timer_start(&f->deadline, expire, 0, 0);
}

void HttpFetcher::Finish(Fetch* f, FetchResult result) {
  if (f->finished) return;
  f->finished = true;
  (f->prev ? f->prev->next : first_) = f->next;
  if (f->next) f->next->prev = f->prev;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&f->tcp));
  auto closed = [](uv_handle_t* h) {
    auto* fetch = static_cast<Fetch*>(h->data);
    if (--fetch->open_handles == 0) delete fetch;
  };
  uv_close(reinterpret_cast<uv_handle_t*>(&f->tcp), closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&f->deadline), closed);
  Done done = std::move(f->done);
  done(std::move(result));
}

void HttpFetcher::CancelAll() {
  while (first_ != nullptr) Finish(first_, {});
}

}  // namespace sp::server
