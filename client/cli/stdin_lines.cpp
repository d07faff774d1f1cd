#include "client/cli/stdin_lines.h"

namespace sealpost::cli {

StdinLines::StdinLines(uv_loop_t* loop, LineFn on_line, EofFn on_eof)
    : loop_(loop), on_line_(std::move(on_line)), on_eof_(std::move(on_eof)) {
  fs_req_.data = this;
}

// The owner runs the loop until every handle is closed before this runs.
StdinLines::~StdinLines() = default;

bool StdinLines::Start(std::string* error) {
  uv_handle_type type = uv_guess_handle(0);
  int rc = 0;
  if (type == UV_TTY) {
    rc = uv_tty_init(loop_, &stream_.tty, 0, 1);
    is_stream_ = true;
  } else if (type == UV_NAMED_PIPE || type == UV_TCP) {
    rc = uv_pipe_init(loop_, &stream_.pipe, 0);
    if (rc == 0) {
      is_stream_ = true;
      rc = uv_pipe_open(&stream_.pipe, 0);
    }
  }
  if (rc != 0) {
    *error = std::string("cannot read stdin: ") + uv_strerror(rc);
    return false;
  }
  if (!is_stream_) {
    ReadFile();  // regular file or /dev/null
    return true;
  }
  stream_open_ = true;
  auto* stream = reinterpret_cast<uv_stream_t*>(&stream_);
  stream->data = this;
  rc = uv_read_start(stream, &StdinLines::OnAlloc, &StdinLines::OnRead);
  if (rc != 0) {
    *error = std::string("cannot read stdin: ") + uv_strerror(rc);
    return false;
  }
  return true;
}

void StdinLines::Close() {
  closed_ = true;
  if (stream_open_) {
    stream_open_ = false;
    uv_close(reinterpret_cast<uv_handle_t*>(&stream_), nullptr);
  }
}

void StdinLines::OnAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  auto* self = static_cast<StdinLines*>(handle->data);
  *buf = uv_buf_init(self->buf_, sizeof self->buf_);
}

void StdinLines::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<StdinLines*>(stream->data);
  if (self->closed_) return;
  if (nread < 0) {
    self->Eof();
    return;
  }
  self->Consume(buf->base, static_cast<size_t>(nread));
}

void StdinLines::ReadFile() {
  fs_busy_ = true;
  uv_buf_t buf = uv_buf_init(buf_, sizeof buf_);
  if (uv_fs_read(loop_, &fs_req_, 0, &buf, 1, -1, &StdinLines::OnFsRead) != 0) {
    fs_busy_ = false;
    Eof();
  }
}

void StdinLines::OnFsRead(uv_fs_t* req) {
  auto* self = static_cast<StdinLines*>(req->data);
  ssize_t n = req->result;
  uv_fs_req_cleanup(req);
  self->fs_busy_ = false;
  if (self->closed_) return;
  if (n <= 0) {
    self->Eof();
    return;
  }
  self->Consume(self->buf_, static_cast<size_t>(n));
  if (!self->closed_) self->ReadFile();
}

void StdinLines::Consume(const char* data, size_t size) {
  partial_.append(data, size);
  size_t start = 0;
  for (size_t nl; !closed_ && (nl = partial_.find('\n', start)) != std::string::npos;
       start = nl + 1) {
    std::string line = partial_.substr(start, nl - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    on_line_(line);
  }
  partial_.erase(0, start);
}

void StdinLines::Eof() {
  if (closed_) return;
  if (!partial_.empty()) {
    std::string last = std::move(partial_);
    partial_.clear();
    on_line_(last);
    if (closed_) return;
  }
  Close();
  on_eof_();
}

}  // namespace sealpost::cli
