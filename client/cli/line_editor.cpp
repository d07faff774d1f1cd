#include "client/cli/line_editor.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <editline/readline.h>

#include "client/cli/common.h"

namespace sealpost::cli {
namespace {

// readline's callback interface has no user pointer: one editor at a time.
LineEditor* active_editor = nullptr;

}  // namespace

LineEditor::LineEditor(uv_loop_t* loop, std::string prompt, LineFn on_line, EofFn on_eof)
    : loop_(loop),
      prompt_(std::move(prompt)),
      on_line_(std::move(on_line)),
      on_eof_(std::move(on_eof)) {}

LineEditor::~LineEditor() {
  Close();
}

bool LineEditor::Start(std::string* error) {
  terminal_ = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
  if (!terminal_) {
    lines_ = std::make_unique<StdinLines>(loop_, on_line_, on_eof_);
    return lines_->Start(error);
  }
  int rc = uv_poll_init(loop_, &poll_, STDIN_FILENO);
  if (rc != 0) {
    *error = std::string("cannot read the terminal: ") + uv_strerror(rc);
    return false;
  }
  poll_.data = this;
  polling_ = true;
  active_editor = this;
  rl_callback_handler_install(prompt_.c_str(), &LineEditor::OnLineThunk);
  installed_ = true;
  uv_poll_start(&poll_, UV_READABLE, &LineEditor::OnReadable);
  return true;
}

void LineEditor::OnReadable(uv_poll_t* poll, int status, int) {
  auto* self = static_cast<LineEditor*>(poll->data);
  if (status < 0) {
    self->Close();
    if (self->on_eof_) self->on_eof_();
    return;
  }
  self->line_done_ = false;  // a key: the buffer is what is being typed now
  rl_callback_read_char();
}

void LineEditor::OnLineThunk(char* line) {
  LineEditor* self = active_editor;
  if (self == nullptr) {
    std::free(line);
    return;
  }
  if (line == nullptr) {  // Ctrl-D on an empty line
    std::fputc('\n', stdout);
    self->Close();
    if (self->on_eof_) self->on_eof_();
    return;
  }
  std::string text(line);
  std::free(line);
  // libedit keeps the finished line as its buffer until the next key: a
  // redraw before then must not show it as if typed again.
  self->line_done_ = true;
  if (!text.empty()) add_history(text.c_str());
  if (self->on_line_) self->on_line_(text);
}

void LineEditor::Print(std::string_view line) {
  if (!installed_) {
    PrintLine(line);
    return;
  }
  // Clear the input line and print above it. Then the editor redraws what
  // is being typed; right after Enter it still holds the finished line (until
  // the next key), so then only the prompt is drawn.
  std::string out = "\r\033[K";
  out.append(line).append("\n");
  if (line_done_) out.append(prompt_);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  if (!line_done_) rl_forced_update_display();
}

void LineEditor::Close() {
  if (installed_) {
    installed_ = false;
    rl_callback_handler_remove();
  }
  if (active_editor == this) active_editor = nullptr;
  if (polling_) {
    polling_ = false;
    uv_poll_stop(&poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(&poll_), nullptr);
  }
  if (lines_) lines_->Close();
}

}  // namespace sealpost::cli
