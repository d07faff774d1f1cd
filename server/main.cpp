// sealpost-server: wiring only. Configuration, the server key, Redis
// services, the connection hub, listeners and signals.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>
#include <uv.h>

#include <cstdio>
#include <memory>

#include "connections/hub.h"
#include "crypto/keys.h"
#include "server/admin_routes.h"
#include "server/config.h"
#include "server/http_server.h"
#include "server/listener.h"
#include "server/server_key.h"
#include "server/status_board.h"
#include "server/supervisor.h"
#include "server/worker_link.h"
#include "services/services.h"
#include "shared/log.h"

namespace {

struct Server {
  uv_loop_t* loop = nullptr;
  sp::server::Config config;
  sp::crypto::KeyPair key;
  std::unique_ptr<sp::services::Services> services;
  std::unique_ptr<sp::connections::Hub> hub;
  std::unique_ptr<sp::server::StatusBoard> status;
  std::unique_ptr<sp::server::HttpServer> admin;  // metrics, health, status page
  uv_tcp_t listener;
  uv_signal_t sigterm;
  uv_signal_t sigint;
  std::unique_ptr<sp::server::WorkerLink> link;  // only in a worker of a supervisor
  bool stopping = false;
};

Server* g_server = nullptr;  // only for the C callbacks below

// Each connection is a descriptor: take everything the hard limit allows (the
// soft limit is often 1024), and say how much that is.
void RaiseFileLimit(size_t max_connections) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
    getrlimit(RLIMIT_NOFILE, &lim);
  }
  if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < max_connections + 64) {
    sp::log::Warn("limits.fds",
                  {{"nofile", static_cast<uint64_t>(lim.rlim_cur)},
                   {"max_connections", max_connections},
                   {"hint", "raise LimitNOFILE / ulimit -n, or lower --max-connections"}});
  }
}

void OnConnection(uv_stream_t* listener, int status) {
  if (status < 0) {
    sp::log::Warn("listen.error", {{"error", uv_strerror(status)}});
    return;
  }
  g_server->hub->Accept(listener);
}

void StopLinks() {
  Server* s = g_server;
  auto pending = std::make_shared<int>(2);
  auto done = [pending] {
    if (--*pending != 0) return;
    // Readiness kept saying "draining" until now; the endpoint goes last.
    if (g_server->admin) g_server->admin->Stop();
    uv_stop(g_server->loop);
  };
  s->services->commands.Stop(done);
  s->services->subscriber.Stop(done);
}

void OnSignal(uv_signal_t* handle, int signum) {
  Server* s = static_cast<Server*>(handle->data);
  if (s->stopping) return;
  s->stopping = true;
  sp::log::Info("node.stopping", {{"signal", signum == SIGTERM ? "SIGTERM" : "SIGINT"}});
  uv_close(reinterpret_cast<uv_handle_t*>(&s->listener), nullptr);  // stop accepting
  // Still handled (and ignored above) while draining, but no longer keeping
  // the loop alive: a worker gets Ctrl-C's SIGINT with its whole process
  // group and then the supervisor's SIGTERM, and the second signal must not
  // kill it in the middle of its drain.
  uv_unref(reinterpret_cast<uv_handle_t*>(&s->sigterm));
  uv_unref(reinterpret_cast<uv_handle_t*>(&s->sigint));
  s->hub->BeginShutdown(StopLinks);
}

bool StartListening(Server& s) {
  std::string host;
  int port = 0;
  if (!sp::server::SplitHostPort(s.config.listen, &host, &port)) {
    sp::log::Error("config.invalid", {{"option", "listen"}, {"value", s.config.listen}});
    return false;
  }
  s.listener.data = &s;
  int rc =
      sp::server::Listen(s.loop, &s.listener, host, port, s.config.listen_backlog, &OnConnection);
  if (rc != 0) {
    sp::log::Error("listen.failed", {{"address", s.config.listen}, {"error", uv_strerror(rc)}});
    return false;
  }
  sp::log::Info("listen.ready", {{"address", s.config.listen}, {"node", s.config.node_id}});
  if (!s.config.metrics_listen.empty()) {
    if (!sp::server::SplitHostPort(s.config.metrics_listen, &host, &port)) {
      sp::log::Error("config.invalid",
                     {{"option", "metrics-listen"}, {"value", s.config.metrics_listen}});
      return false;
    }
    // A worker's endpoint is for its supervisor only: loopback, a port the
    // kernel picks, reported through the link.
    if (s.link) host = "127.0.0.1", port = 0;
    sp::server::StatusSettings status;
    status.sample_clients = s.config.status_sample_clients;
    s.status =
        std::make_unique<sp::server::StatusBoard>(*s.hub, *s.services, s.config.node_id, status);
    sp::server::HttpLimits limits;
    limits.max_connections = s.config.metrics_max_connections;
    limits.timeout_ms = s.config.metrics_timeout_ms;
    s.admin = std::make_unique<sp::server::HttpServer>(
        s.loop, limits, sp::server::AdminRoutes(*s.hub, *s.services, *s.status));
    if ((rc = s.admin->Start(host, port)) != 0) {
      sp::log::Error("metrics.listen_failed",
                     {{"address", s.config.metrics_listen}, {"error", uv_strerror(rc)}});
      return false;
    }
  }
  return true;
}

// A worker stops when its supervisor does, even one killed with SIGKILL: the
// kernel sends SIGTERM (PR_SET_PDEATHSIG), and if the supervisor was already
// gone before that was set, the parent is no longer the supervisor.
bool BindToSupervisor(const sp::server::Config& config) {
  if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != config.supervisor_pid) {
    sp::log::Warn("worker.supervisor_gone", {{"index", config.worker_index}});
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Server s;
  g_server = &s;
  int exit_code = 0;
  if (!sp::server::LoadConfig(argc, argv, &s.config, &exit_code)) return exit_code;
  sp::log::Level level = sp::log::Level::Info;
  sp::log::Format format = sp::log::Format::Text;
  if (!sp::log::ParseLevel(s.config.log_level, &level) ||
      !sp::log::ParseFormat(s.config.log_format, &format)) {
    std::fprintf(stderr, "sealpost-server: bad --log-level or --log-format\n");
    return 2;
  }
  sp::log::Configure(level, format);
  const bool worker = s.config.worker_index >= 0;
  if (worker && !BindToSupervisor(s.config)) return 0;
  signal(SIGPIPE, SIG_IGN);
  if (!sp::crypto::InitCrypto()) return 1;
  // The supervisor creates the key file if needed, so its workers never race to.
  if (!sp::server::LoadOrCreateServerKey(s.config.key_file, &s.key)) return 1;

  sp::services::ServicesConfig& sc = s.config.services;
  std::string error;
  if (!sp::services::ParseRedisUrl(s.config.redis_url, &sc.redis, &error)) {
    sp::log::Error("config.invalid", {{"option", "redis"}, {"error", error}});
    return 2;
  }
  if (!s.config.redis_password_file.empty() &&
      !sp::services::ReadRedisPasswordFile(s.config.redis_password_file, &sc.redis, &error)) {
    sp::log::Error("config.invalid", {{"option", "redis-password-file"}, {"error", error}});
    return 2;
  }

  if (s.config.workers > 1 && !worker) return sp::server::RunSupervisor(s.config, argc, argv);
  // Each process serving clients has its own descriptor budget (a worker's
  // max_connections is its share of the node's).
  RaiseFileLimit(s.config.connections.bounds.max_connections);

  s.loop = uv_default_loop();
  s.services = std::make_unique<sp::services::Services>(s.loop, sc);
  s.hub = std::make_unique<sp::connections::Hub>(s.loop, *s.services, s.key, s.config.connections);
  if (worker) {
    s.link = std::make_unique<sp::server::WorkerLink>(
        s.loop, [&s] { return s.services->commands.IsUp() && s.services->subscriber.IsUp(); },
        [] { raise(SIGTERM); });  // drain as on SIGTERM
    if (!s.link->Open()) {
      sp::log::Error("worker.no_link", {{"index", s.config.worker_index}});
      return 1;
    }
  }
  if (!StartListening(s)) return 1;
  s.hub->Start();
  s.services->commands.Start();
  s.services->subscriber.Start();
  for (auto [handle, signum] : {std::pair{&s.sigterm, SIGTERM}, std::pair{&s.sigint, SIGINT}}) {
    uv_signal_init(s.loop, handle);
    handle->data = &s;
    uv_signal_start(handle, &OnSignal, signum);
  }
  if (s.link) s.link->Listening(s.admin ? s.admin->Port() : 0);
  uv_run(s.loop, UV_RUN_DEFAULT);
  // Let every close callback run so nothing is left half-freed at exit.
  uv_walk(
      s.loop,
      [](uv_handle_t* h, void*) {
        if (!uv_is_closing(h)) uv_close(h, nullptr);
      },
      nullptr);
  uv_run(s.loop, UV_RUN_DEFAULT);
  sp::log::Info("node.stopped", {{"node", s.config.node_id}});
  return 0;
}
