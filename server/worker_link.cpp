#include "server/worker_link.h"

#include <string>

#include "shared/log.h"

namespace sp::server {

WorkerLink::WorkerLink(uv_loop_t* loop, std::function<bool()> is_ready,
                       std::function<void()> on_supervisor_gone)
    : loop_(loop),
      is_ready_(std::move(is_ready)),
      on_supervisor_gone_(std::move(on_supervisor_gone)) {}

bool WorkerLink::Open() {
  uv_pipe_init(loop_, &pipe_, 0);
  pipe_.data = this;
  uv_timer_init(loop_, &ready_timer_);
  ready_timer_.data = this;
  if (uv_pipe_open(&pipe_, kWorkerLinkFd) != 0) return false;
  open_ = true;
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&pipe_),
      [](uv_handle_t* h, size_t, uv_buf_t* buf) {
        auto* self = static_cast<WorkerLink*>(h->data);
        *buf = uv_buf_init(self->buffer_, sizeof self->buffer_);
      },
      [](uv_stream_t* s, ssize_t nread, const uv_buf_t*) {
        if (nread >= 0) return;  // the supervisor sends nothing; ignore if it ever does
        auto* self = static_cast<WorkerLink*>(s->data);
        uv_read_stop(s);
        self->open_ = false;
        log::Warn("worker.supervisor_gone", {});
        self->on_supervisor_gone_();
      });
  return true;
}

void WorkerLink::Listening(int admin_port) {
  Send(std::string("listening ").append(std::to_string(admin_port)));
  uv_timer_start(
      &ready_timer_,
      [](uv_timer_t* t) {
        auto* self = static_cast<WorkerLink*>(t->data);
        if (!self->is_ready_()) return;
        uv_timer_stop(t);
        self->Send("ready");
      },
      0, 50);
}

// A few bytes into an empty socket buffer: a non-blocking write takes them
// whole, and a supervisor that is gone is noticed by the read side.
void WorkerLink::Send(const std::string& line) {
  if (!open_) return;
  std::string text = line + "\n";
  uv_buf_t buf = uv_buf_init(text.data(), static_cast<unsigned>(text.size()));
  uv_try_write(reinterpret_cast<uv_stream_t*>(&pipe_), &buf, 1);
}

}  // namespace sp::server
