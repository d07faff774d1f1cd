// sealpost-bench-client: what one C++ client process (the public library,
// client/sealpost_client.h) can do, for comparison with the Node.js and
// Python clients (bench_client.js, bench_client.py: same modes, same JSON).
//
//   recv:       receive and ack --events events already waiting in the stream;
//               the clock runs from the first event to the last one received
//               (the server keeps at most its window unacked, so acks pace it).
//   handshakes: connect -> welcome -> close, one after another, for --seconds.
//
// Prints one JSON line; CPU is this process's user + system time.
#include <signal.h>
#include <sys/resource.h>
#include <uv.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "client/sealpost_client.h"

namespace {

struct Flags {
  std::string server = "127.0.0.1:9300";
  std::string server_pk;
  std::string id;
  std::string key_file;
  uint64_t events = 20000;
  double seconds = 5;
};

double NowS() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double CpuS() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

sealpost::ClientOptions OptionsFrom(const Flags& f) {
  sealpost::ClientOptions o;
  o.server = f.server;
  o.server_public_key = f.server_pk;
  o.client_id = f.id;
  o.key_file = f.key_file;
  return o;
}

void Print(const nlohmann::json& j) {
  std::printf("%s\n", j.dump().c_str());
  std::fflush(stdout);
}

// A fatal client error ends the run with a JSON line saying so.
void OnError(const sealpost::ClientError& e, uv_loop_t* loop, std::string* failure) {
  if (!e.fatal) return;
  *failure = e.code;
  uv_stop(loop);
}

int RunRecv(const Flags& f, uv_loop_t* loop) {
  uint64_t received = 0;
  double t_first = 0, t_last = 0, cpu_first = 0, cpu_last = 0;
  std::string failure;
  std::unique_ptr<sealpost::Client> client;
  sealpost::ClientCallbacks cb;
  cb.on_event = [&](const sealpost::Event&) {
    if (++received == 1) t_first = NowS(), cpu_first = CpuS();
    if (received == f.events) t_last = NowS(), cpu_last = CpuS();
  };
  // The last ack is on the socket: done.
  cb.on_ack_written = [&](const std::string&) {
    if (received >= f.events) uv_stop(loop);
  };
  cb.on_error = [&](const sealpost::ClientError& e) { OnError(e, loop, &failure); };
  client = std::make_unique<sealpost::Client>(loop, OptionsFrom(f), cb);
  if (!client->Start(&failure)) return Print({{"error", failure}}), 1;
  uv_run(loop, UV_RUN_DEFAULT);
  client.reset();
  uv_run(loop, UV_RUN_DEFAULT);  // let the closed handles go
  double secs = t_last - t_first;
  uint64_t n = received > 0 ? received - 1 : 0;  // events after the first one
  Print({{"bench", "client_recv"},
         {"client", "cpp"},
         {"events", received},
         {"seconds", secs},
         {"events_per_s", secs > 0 ? n / secs : 0},
         {"cpu_us_per_event", n ? (cpu_last - cpu_first) * 1e6 / n : 0},
         {"error", failure}});
  return received == f.events ? 0 : 1;
}

// Sequential sessions: each welcome stops and drops that client, and the next
// one starts from a zero-delay timer (never inside the client's own callback).
struct HandshakeLoop {
  HandshakeLoop(const Flags& flags, uv_loop_t* l) : f(flags), loop(l) {}
  const Flags& f;
  uv_loop_t* loop;
  uv_timer_t next{};
  std::unique_ptr<sealpost::Client> client;
  uint64_t done = 0;
  double deadline = 0;
  std::string failure;

  void StartOne() {
    client.reset();
    if (NowS() >= deadline || !failure.empty()) {
      uv_close(reinterpret_cast<uv_handle_t*>(&next), nullptr);
      return;
    }
    sealpost::ClientCallbacks cb;
    cb.on_connected = [this](const sealpost::Welcome&) {
      ++done;
      client->Stop();
      uv_timer_start(
          &next, [](uv_timer_t* t) { static_cast<HandshakeLoop*>(t->data)->StartOne(); }, 0, 0);
    };
    cb.on_error = [this](const sealpost::ClientError& e) { OnError(e, loop, &failure); };
    client = std::make_unique<sealpost::Client>(loop, OptionsFrom(f), cb);
    if (!client->Start(&failure)) uv_stop(loop);
  }
};

int RunHandshakes(const Flags& f, uv_loop_t* loop) {
  HandshakeLoop h(f, loop);
  uv_timer_init(loop, &h.next);
  h.next.data = &h;
  double t0 = NowS(), cpu0 = CpuS();
  h.deadline = t0 + f.seconds;
  h.StartOne();
  uv_run(loop, UV_RUN_DEFAULT);
  double secs = NowS() - t0, cpu = CpuS() - cpu0;
  h.client.reset();
  uv_run(loop, UV_RUN_DEFAULT);  // let the closed handles go
  Print({{"bench", "client_handshakes"},
         {"client", "cpp"},
         {"handshakes", h.done},
         {"seconds", secs},
         {"handshakes_per_s", secs > 0 ? h.done / secs : 0},
         {"cpu_us_per_handshake", h.done ? cpu * 1e6 / h.done : 0},
         {"error", h.failure}});
  return h.failure.empty() && h.done > 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  if (!sp::crypto::InitCrypto()) return 1;
  CLI::App app{"sealpost-bench-client: one C++ client process, received events/s and handshakes/s"};
  app.require_subcommand(1);
  Flags f;
  auto common = [&f](CLI::App* c) {
    c->add_option("--server", f.server)->capture_default_str();
    c->add_option("--server-pk", f.server_pk, "Server public key (base64)")->required();
    c->add_option("--id", f.id, "Client id")->required();
    c->add_option("--key", f.key_file, "Client key file")->required();
  };
  auto* recv = app.add_subcommand("recv", "Receive and ack the events waiting in the stream");
  common(recv);
  recv->add_option("--events", f.events, "Events to receive")->capture_default_str();
  auto* hs = app.add_subcommand("handshakes", "Sequential connect -> welcome -> close");
  common(hs);
  hs->add_option("--seconds", f.seconds)->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  uv_loop_t loop;
  uv_loop_init(&loop);
  int rc = recv->parsed() ? RunRecv(f, &loop) : RunHandshakes(f, &loop);
  uv_loop_close(&loop);
  return rc;
}
