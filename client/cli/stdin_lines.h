// Lines from standard input on the libuv loop, whether stdin is a terminal,
// a pipe or a regular file (which libuv cannot poll, so it is read with fs
// requests instead).
#pragma once

#include <uv.h>

#include <functional>
#include <string>

namespace sealpost::cli {

class StdinLines {
 public:
  using LineFn = std::function<void(const std::string& line)>;
  using EofFn = std::function<void()>;

  StdinLines(uv_loop_t* loop, LineFn on_line, EofFn on_eof);
  ~StdinLines();
  StdinLines(const StdinLines&) = delete;
  StdinLines& operator=(const StdinLines&) = delete;

  bool Start(std::string* error);
  // Stops reading; safe to call from a callback.
  void Close();

 private:
  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnFsRead(uv_fs_t* req);
  void ReadFile();
  void Consume(const char* data, size_t size);
  void Eof();

  uv_loop_t* loop_;
  LineFn on_line_;
  EofFn on_eof_;
  union {
    uv_tty_t tty;
    uv_pipe_t pipe;
  } stream_;
  bool is_stream_ = false;
  bool stream_open_ = false;
  bool closed_ = false;
  bool fs_busy_ = false;
  uv_fs_t fs_req_;
  char buf_[4096];
  std::string partial_;
};

}  // namespace sealpost::cli
