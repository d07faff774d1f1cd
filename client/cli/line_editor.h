// An input line with editing (cursor keys, history) under a stream of output
// that arrives while the user types: on a terminal, libedit's readline
// interface (BSD licensed, so the CLI carries no copyleft) in callback mode
// on the libuv loop; anywhere else plain lines from StdinLines.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "client/cli/stdin_lines.h"

namespace sealpost::cli {

class LineEditor {
 public:
  using LineFn = std::function<void(const std::string& line)>;
  using EofFn = std::function<void()>;

  LineEditor(uv_loop_t* loop, std::string prompt, LineFn on_line, EofFn on_eof);
  ~LineEditor();
  LineEditor(const LineEditor&) = delete;
  LineEditor& operator=(const LineEditor&) = delete;

  bool Start(std::string* error);
  // Prints `line` above the line being edited, which is then redrawn as it was.
  void Print(std::string_view line);
  // Stops reading and gives the terminal back; safe from a callback.
  void Close();

 private:
  static void OnReadable(uv_poll_t* poll, int status, int events);
  static void OnLineThunk(char* line);

  uv_loop_t* loop_;
  std::string prompt_;
  LineFn on_line_;
  EofFn on_eof_;
  bool terminal_ = false;
  bool installed_ = false;
  bool polling_ = false;
  bool line_done_ = false;  // Enter was the last key
  uv_poll_t poll_;
  std::unique_ptr<StdinLines> lines_;  // when stdin is not a terminal
};

}  // namespace sealpost::cli
