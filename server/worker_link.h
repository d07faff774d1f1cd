// A worker's line to its supervisor: descriptor 3, one end of a socket pair
// the supervisor made. The worker writes one line per milestone:
//   listening <admin port>   the client listener is open (admin port 0: none)
//   ready                    Redis is up for the first time
// and reads nothing but the end of the line: when the supervisor is gone
// (killed, even with SIGKILL), the worker stops as on SIGTERM, draining.
// PR_SET_PDEATHSIG does the same from the kernel's side; the pipe also
// covers a supervisor that died before the worker set it.
#pragma once

#include <uv.h>

#include <functional>
#include <string>

namespace sp::server {

constexpr int kWorkerLinkFd = 3;

class WorkerLink {
 public:
  WorkerLink(uv_loop_t* loop, std::function<bool()> is_ready,
             std::function<void()> on_supervisor_gone);
  WorkerLink(const WorkerLink&) = delete;
  WorkerLink& operator=(const WorkerLink&) = delete;

  // Opens descriptor 3 and starts watching for its end; false if it is not
  // the supervisor's socket.
  bool Open();
  // Reports the listener, then "ready" once is_ready() holds (checked every 50 ms).
  void Listening(int admin_port);

 private:
  void Send(const std::string& line);

  uv_loop_t* loop_;
  std::function<bool()> is_ready_;
  std::function<void()> on_supervisor_gone_;
  uv_pipe_t pipe_;
  uv_timer_t ready_timer_;
  bool open_ = false;
  char buffer_[64];
};

}  // namespace sp::server
