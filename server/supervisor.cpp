#include "server/supervisor.h"

#include <signal.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "server/http_server.h"
#include "server/metrics_merge.h"
#include "server/node_routes.h"
#include "server/worker_link.h"
#include "shared/log.h"

namespace sp::server {
namespace {

constexpr uint64_t kFirstBackoffMs = 100;
constexpr uint64_t kMaxBackoffMs = 5000;
constexpr uint64_t kHealthyRunMs = 30000;  // a run this long resets the backoff

const char* SignalName(int signum) {
  switch (signum) {
    case SIGTERM:
      return "SIGTERM";
    case SIGINT:
      return "SIGINT";
    case SIGKILL:
      return "SIGKILL";
    case SIGSEGV:
      return "SIGSEGV";
    case SIGABRT:
      return "SIGABRT";
    case SIGBUS:
      return "SIGBUS";
    default:
      return "other";
  }
}

class Supervisor;

// One run of one worker: its process and its end of the link. Freed once
// both handles have closed.
struct WorkerRun {
  Supervisor* owner = nullptr;
  size_t slot = 0;
  uv_process_t process;
  uv_pipe_t link;
  std::string received;  // an unfinished line from the link
  int open_handles = 2;
};

struct Slot {
  int index = 0;
  std::string node;
  WorkerRun* run = nullptr;  // null while down
  int pid = 0;
  int admin_port = 0;
  bool listening = false;
  bool ready = false;
  uint64_t started_at = 0;  // uv_now of the spawn
  uint64_t backoff_ms = kFirstBackoffMs;
  uv_timer_t restart;
  Supervisor* owner = nullptr;
  CounterCarry carry;
};

class Supervisor : public NodeSource {
 public:
  Supervisor(const Config& config, int argc, char** argv)
      : config_(config), loop_(uv_default_loop()), args_(argv, argv + argc) {}

  int Run() {
    int n = config_.workers;
    log::Info("workers.starting",
              {{"workers", n}, {"node", config_.node_id}, {"address", config_.listen}});
    for (int i = 0; i < n; ++i) {
      auto slot = std::make_unique<Slot>();
      slot->index = i;
      slot->owner = this;
      slot->node = std::string(config_.node_id).append("-w").append(std::to_string(i));
      uv_timer_init(loop_, &slot->restart);
      slot->restart.data = slot.get();
      slots_.push_back(std::move(slot));
    }
    for (auto [handle, signum] : {std::pair{&sigterm_, SIGTERM}, std::pair{&sigint_, SIGINT}}) {
      uv_signal_init(loop_, handle);
      handle->data = this;
      uv_signal_start(
          handle,
          [](uv_signal_t* h, int signum) { static_cast<Supervisor*>(h->data)->Stop(signum); },
          signum);
    }
    if (!StartEndpoint()) {
      exit_code_ = 1;
      Finish();
    } else {
      for (size_t i = 0; i < slots_.size(); ++i) Spawn(i);
    }
    uv_run(loop_, UV_RUN_DEFAULT);
    uv_walk(
        loop_,
        [](uv_handle_t* h, void*) {
          if (!uv_is_closing(h)) uv_close(h, nullptr);
        },
        nullptr);
    uv_run(loop_, UV_RUN_DEFAULT);
    log::Info("node.stopped", {{"node", config_.node_id}, {"workers", n}});
    return exit_code_;
  }

  std::vector<WorkerEndpoint> Workers() override {
    std::vector<WorkerEndpoint> out;
    for (auto& s : slots_) out.push_back({s->index, s->pid, s->admin_port, &s->carry});
    return out;
  }
  bool Stopping() const override { return stopping_; }
  uint64_t Restarts() const override { return restarts_; }

 private:
  bool StartEndpoint() {
    if (config_.metrics_listen.empty()) return true;
    std::string host;
    int port = 0;
    if (!SplitHostPort(config_.metrics_listen, &host, &port)) {
      log::Error("config.invalid",
                 {{"option", "metrics-listen"}, {"value", config_.metrics_listen}});
      return false;
    }
    // Half the request's time for the workers' answers, so a stuck worker
    // still leaves time to answer with the others.
    uint64_t fetch_ms = std::max<uint64_t>(config_.metrics_timeout_ms / 2, 1);
    routes_ = std::make_unique<NodeRoutes>(loop_, *this, config_.node_id, fetch_ms);
    HttpLimits limits;
    limits.max_connections = config_.metrics_max_connections;
    limits.timeout_ms = config_.metrics_timeout_ms;
    NodeRoutes* routes = routes_.get();
    admin_ = std::make_unique<HttpServer>(
        loop_, limits, [routes](const HttpRequest& request, HttpServer::Reply reply) {
          (*routes)(request, std::move(reply));
        });
    if (int rc = admin_->Start(host, port); rc != 0) {
      log::Error("metrics.listen_failed",
                 {{"address", config_.metrics_listen}, {"error", uv_strerror(rc)}});
      admin_.reset();
      return false;
    }
    return true;
  }

  void Spawn(size_t i) {
    Slot& slot = *slots_[i];
    std::vector<std::string> args = args_;
    args.insert(args.end(), {"--internal-worker-index", std::to_string(slot.index),
                             "--internal-supervisor-pid", std::to_string(getpid())});
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    auto* run = new WorkerRun;
    run->owner = this;
    run->slot = i;
    run->process.data = run;
    run->link.data = run;
    uv_pipe_init(loop_, &run->link, 0);
    uv_stdio_container_t stdio[4];
    for (int fd = 0; fd < 3; ++fd) {
      stdio[fd].flags = UV_INHERIT_FD;
      stdio[fd].data.fd = fd;
    }
    stdio[kWorkerLinkFd].flags =
        static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_READABLE_PIPE | UV_WRITABLE_PIPE);
    stdio[kWorkerLinkFd].data.stream = reinterpret_cast<uv_stream_t*>(&run->link);
    uv_process_options_t options{};
    // This very binary, even if the file on disk was replaced since.
    options.file = "/proc/self/exe";
    options.args = argv.data();
    options.stdio = stdio;
    options.stdio_count = 4;
    options.exit_cb = [](uv_process_t* p, int64_t status, int signum) {
      auto* r = static_cast<WorkerRun*>(p->data);
      r->owner->OnExit(r, status, signum);
    };
    int rc = uv_spawn(loop_, &run->process, &options);
    if (rc != 0) {
      log::Error("worker.spawn_failed", {{"index", slot.index}, {"error", uv_strerror(rc)}});
      // Both handles were initialized: both close, and the run goes after both.
      uv_close(reinterpret_cast<uv_handle_t*>(&run->link), &Supervisor::OnRunClosed);
      uv_close(reinterpret_cast<uv_handle_t*>(&run->process), &Supervisor::OnRunClosed);
      ScheduleRestart(slot);
      return;
    }
    slot.run = run;
    slot.pid = run->process.pid;
    slot.admin_port = 0;
    slot.listening = slot.ready = false;
    slot.started_at = uv_now(loop_);
    log::Info("worker.started", {{"index", slot.index}, {"pid", slot.pid}, {"node", slot.node}});
    uv_read_start(
        reinterpret_cast<uv_stream_t*>(&run->link),
        [](uv_handle_t*, size_t suggested, uv_buf_t* buf) {
          static char buffer[256];
          *buf = uv_buf_init(buffer, static_cast<unsigned>(std::min(suggested, sizeof buffer)));
        },
        [](uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
          auto* r = static_cast<WorkerRun*>(s->data);
          if (nread < 0) {
            uv_read_stop(s);  // the worker's exit is reported by exit_cb
            return;
          }
          r->received.append(buf->base, static_cast<size_t>(nread));
          r->owner->OnLines(r);
        });
  }

  // Lines from a worker: "listening <admin port>", "ready".
  void OnLines(WorkerRun* run) {
    Slot& slot = *slots_[run->slot];
    for (size_t nl; (nl = run->received.find('\n')) != std::string::npos;) {
      std::string line = run->received.substr(0, nl);
      run->received.erase(0, nl + 1);
      if (slot.run != run) continue;
      if (line.rfind("listening ", 0) == 0) {
        slot.admin_port = std::atoi(line.c_str() + 10);
        slot.listening = true;
        all_listened_once_ =
            all_listened_once_ ||
            std::all_of(slots_.begin(), slots_.end(), [](const auto& s) { return s->listening; });
      } else if (line == "ready") {
        slot.ready = true;
        if (!all_ready_ &&
            std::all_of(slots_.begin(), slots_.end(), [](const auto& s) { return s->ready; })) {
          all_ready_ = true;
          log::Info("workers.ready", {{"workers", static_cast<uint64_t>(slots_.size())},
                                      {"node", config_.node_id},
                                      {"address", config_.listen}});
        }
      }
    }
    if (run->received.size() > 1024) run->received.clear();  // not a line of ours
  }

  void OnExit(WorkerRun* run, int64_t status, int signum) {
    Slot& slot = *slots_[run->slot];
    bool started = slot.listening;
    uint64_t ran_ms = uv_now(loop_) - slot.started_at;
    // A clean exit during a stop is the plan; anything else is worth a warning.
    log::Level level =
        stopping_ && signum == 0 && status == 0 ? log::Level::Info : log::Level::Warn;
    if (!log::Enabled(level)) {
    } else if (signum != 0) {
      log::Write(level, "worker.exited",
                 {{"index", slot.index},
                  {"pid", slot.pid},
                  {"signal", SignalName(signum)},
                  {"signo", signum},
                  {"ran_ms", ran_ms}});
    } else {
      log::Write(
          level, "worker.exited",
          {{"index", slot.index}, {"pid", slot.pid}, {"status", status}, {"ran_ms", ran_ms}});
    }
    slot.run = nullptr;
    slot.pid = 0;
    slot.admin_port = 0;
    slot.listening = slot.ready = false;
    uv_close(reinterpret_cast<uv_handle_t*>(&run->process), &Supervisor::OnRunClosed);
    uv_close(reinterpret_cast<uv_handle_t*>(&run->link), &Supervisor::OnRunClosed);
    if (stopping_) {
      if (RunningWorkers() == 0) Finish();
      return;
    }
    // A worker that never listened failed on its configuration or its port:
    // the others would fail alike, so the node does not start at all.
    if (!all_listened_once_ && !started) {
      log::Error("workers.start_failed", {{"index", slot.index}});
      exit_code_ = signum == 0 && status != 0 ? static_cast<int>(status) : 1;
      Stop(0);
      return;
    }
    if (ran_ms >= kHealthyRunMs) slot.backoff_ms = kFirstBackoffMs;
    ScheduleRestart(slot);
  }

  void ScheduleRestart(Slot& slot) {
    uint64_t delay = slot.backoff_ms;
    slot.backoff_ms = std::min(slot.backoff_ms * 2, kMaxBackoffMs);
    log::Info("worker.restarting", {{"index", slot.index}, {"delay_ms", delay}});
    uv_timer_start(
        &slot.restart,
        [](uv_timer_t* t) {
          auto* s = static_cast<Slot*>(t->data);
          Supervisor* self = s->owner;
          if (self->stopping_) return;
          ++self->restarts_;
          self->Spawn(static_cast<size_t>(s->index));
        },
        delay, 0);
  }

  static void OnRunClosed(uv_handle_t* h) {
    auto* run = static_cast<WorkerRun*>(h->data);
    if (--run->open_handles == 0) delete run;
  }

  size_t RunningWorkers() const {
    return static_cast<size_t>(
        std::count_if(slots_.begin(), slots_.end(), [](const auto& s) { return s->run; }));
  }

  // SIGTERM/SIGINT (signum) or a failed start (0): every worker drains.
  void Stop(int signum) {
    if (stopping_) return;
    stopping_ = true;
    if (signum != 0) log::Info("node.stopping", {{"signal", SignalName(signum)}});
    for (auto& s : slots_) {
      uv_timer_stop(&s->restart);
      if (s->pid != 0) kill(s->pid, SIGTERM);
    }
    if (RunningWorkers() == 0) Finish();
  }

  // Everything has stopped; the endpoint, which said "draining" until now,
  // goes last.
  void Finish() {
    if (routes_) routes_->Stop();
    if (admin_) admin_->Stop();
    uv_signal_stop(&sigterm_);
    uv_signal_stop(&sigint_);
    uv_stop(loop_);
  }

  const Config& config_;
  uv_loop_t* loop_;
  std::vector<std::string> args_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::unique_ptr<NodeRoutes> routes_;
  std::unique_ptr<HttpServer> admin_;
  uv_signal_t sigterm_;
  uv_signal_t sigint_;
  bool stopping_ = false;
  bool all_ready_ = false;
  bool all_listened_once_ = false;
  uint64_t restarts_ = 0;
  int exit_code_ = 0;
};

}  // namespace

int RunSupervisor(const Config& config, int argc, char** argv) {
  Supervisor supervisor(config, argc, argv);
  return supervisor.Run();
}

}  // namespace sp::server
