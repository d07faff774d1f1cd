#include "connections/outbox.h"

namespace sp::connections {
namespace {

// A write owns its bytes until libuv calls back (also with UV_ECANCELED).
struct WriteRequest {
  uv_write_t req;
  Outbox::OnWriteError on_error;
  std::string bytes;
};

void OnWriteDone(uv_write_t* req, int status) {
  auto* w = static_cast<WriteRequest*>(req->data);
  Outbox::OnWriteError on_error = w->on_error;
  uv_stream_t* stream = req->handle;
  delete w;
  if (status < 0 && status != UV_ECANCELED) on_error(stream, status);
}

}  // namespace

std::string* Outbox::Buffer(BufferPool& pool, bool* created) {
  *created = !bytes_;
  if (!bytes_) bytes_ = pool.Take();
  return bytes_.get();
}

bool Outbox::Flush(uv_stream_t* stream, BufferPool& pool, size_t max_queue_bytes,
                   OnWriteError on_error, size_t* written, std::string* why) {
  *written = 0;
  std::unique_ptr<std::string> bytes = std::move(bytes_);
  if (!bytes) return true;
  if (bytes->empty()) {
    pool.Give(std::move(bytes));
    return true;
  }
  if (uv_stream_get_write_queue_size(stream) > max_queue_bytes) {
    *why = "write queue over limit (slow reader)";
    return false;
  }
  *written = bytes->size();
  uv_buf_t buf = uv_buf_init(bytes->data(), static_cast<unsigned>(bytes->size()));
  int rc = uv_try_write(stream, &buf, 1);
  if (rc == static_cast<int>(bytes->size())) {
    pool.Give(std::move(bytes));
    return true;
  }
  if (rc < 0 && rc != UV_EAGAIN) {
    *why = uv_strerror(rc);
    return false;
  }
  auto* w = new WriteRequest;
  w->on_error = on_error;
  w->bytes.assign(*bytes, rc > 0 ? static_cast<size_t>(rc) : 0);
  w->req.data = w;
  buf = uv_buf_init(w->bytes.data(), static_cast<unsigned>(w->bytes.size()));
  rc = uv_write(&w->req, stream, &buf, 1, &OnWriteDone);
  if (rc != 0) {
    delete w;
    *why = uv_strerror(rc);
    return false;
  }
  return true;
}

}  // namespace sp::connections
