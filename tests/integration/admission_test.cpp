// Handshake admission against the real server: idle sockets hold no slot,
// message 1 waits for one in line, and a flood of idle connections from one
// source does not keep real clients from other sources out.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <deque>
#include <thread>

#include "client/sealpost_client.h"
#include "crypto/bytes.h"
#include "shared/messages.h"
#include "tests/support/server_env.h"

using namespace sp::testkit;
using namespace std::chrono_literals;
using Env = ServerEnv;

namespace {

// A valid handshake message 1 (any 32 bytes are an X25519 public key): the
// server answers it with message 2 and then waits for message 3.
std::string FirstHandshakeMessage() {
  sp::proto::Handshake hs;
  hs.protocol = "Noise_XX_25519_AESGCM_SHA256";
  hs.msg = sp::crypto::Base64Encode(sp::crypto::Bytes(32, 7));
  hs.ts = sp::proto::NowMs();
  return sp::proto::Serialize(hs);
}

// Opens `per_second` idle TCP connections per second from 127.0.0.1 for
// `seconds`, keeping at most `max_open` of them (the oldest are closed).
class IdleFlood {
 public:
  IdleFlood(int port, int per_second, int seconds, size_t max_open)
      : thread_([=, this] { Run(port, per_second, seconds, max_open); }) {}
  ~IdleFlood() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // Waits for the flood to run its course.
  void Finish() { thread_.join(); }
  uint64_t Opened() const { return opened_; }

 private:
  void Run(int port, int per_second, int seconds, size_t max_open) {
    // Keep well inside this process's descriptor limit (its soft limit is
    // raised to the hard one first): the real clients need some too.
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
      lim.rlim_cur = lim.rlim_max;
      setrlimit(RLIMIT_NOFILE, &lim);
      getrlimit(RLIMIT_NOFILE, &lim);
      if (lim.rlim_cur != RLIM_INFINITY) max_open = std::min<size_t>(max_open, lim.rlim_cur / 2);
    }
    std::deque<int> open;
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(port));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    auto start = std::chrono::steady_clock::now();
    for (int tick = 0; tick < seconds * 100 && !stop_; ++tick) {
      std::this_thread::sleep_until(start + tick * 10ms);
      for (int i = 0; i < per_second / 100; ++i) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (fd < 0) break;
        connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to);  // in progress
        open.push_back(fd);
        opened_++;
        while (open.size() > max_open) {
          close(open.front());
          open.pop_front();
        }
      }
    }
    for (int fd : open) close(fd);
  }

  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> opened_{0};
  std::thread thread_;
};

}  // namespace

// --max-handshakes and the per-source line are limits of one process (each
// worker has its own), so the tests that count slots run one process.
TEST_CASE("idle sockets hold no handshake slot") {
  Env env({"--workers", "1", "--max-handshakes", "1"});
  auto key = sp::crypto::GenerateKeyPair();
  env.redis.Provision("real", key);
  std::vector<std::unique_ptr<WireClient>> idle;
  for (int i = 0; i < 20; ++i) {
    idle.push_back(std::make_unique<WireClient>());
    REQUIRE(idle.back()->Connect(env.server.Port()));
  }
  auto start = std::chrono::steady_clock::now();
  WireClient c;
  REQUIRE(c.Connect(env.server.Port()));
  CHECK(c.Handshake(env.server.PublicKey(), key, "real") == "");
  CHECK(std::chrono::steady_clock::now() - start < 1s);
}

TEST_CASE("message 1 beyond --max-handshakes waits its turn and completes later") {
  Env env({"--workers", "1", "--max-handshakes", "1", "--handshake-timeout-ms", "500"});
  auto key = sp::crypto::GenerateKeyPair();
  env.redis.Provision("queued", key);
  WireClient holder;  // sends message 1 and never message 3: holds the only slot
  REQUIRE(holder.Connect(env.server.Port()));
  REQUIRE(holder.SendRawFrame(FirstHandshakeMessage()));
  // Message 2 came back: the slot is taken.
  REQUIRE(Eventually([&] {
    holder.WaitClosed(50ms);
    return !holder.RawReceived().empty();
  }));
  auto start = std::chrono::steady_clock::now();
  WireClient c;
  REQUIRE(c.Connect(env.server.Port()));
  CHECK(c.Handshake(env.server.PublicKey(), key, "queued") == "");
  CHECK(std::chrono::steady_clock::now() - start >= 300ms);  // it waited for the slot
  CHECK(holder.WaitClosed(3s));                              // whose deadline passed
}

TEST_CASE("a waiting handshake has a deadline, the line is capped per source") {
  Env env({"--workers", "1", "--max-handshakes", "1", "--handshake-timeout-ms", "400",
           "--max-waiting-handshakes-per-ip", "2"});
  std::vector<std::unique_ptr<WireClient>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<WireClient>());
    REQUIRE(clients.back()->Connect(env.server.Port()));
    REQUIRE(clients.back()->SendRawFrame(FirstHandshakeMessage()));
  }
  // One holds the slot, two wait, the fourth is refused at once.
  REQUIRE(Eventually([&] {
    clients[3]->WaitClosed(20ms);
    return clients[3]->Closed();
  }));
  CHECK(clients[3]->RawReceived().find("server_busy") != std::string::npos);
  CHECK(clients[3]->RawReceived().find("\"retry\":true") != std::string::npos);
  // Every other one ends by a deadline: the holder's handshake, then each
  // waiting one's (in line, or in the handshake it finally got).
  for (int i = 0; i < 3; ++i) CHECK(clients[i]->WaitClosed(3s));
}

TEST_CASE(
    "200 clients from other sources connect within 2 s each while one source floods "
    "2,000 idle connections per second for 30 s") {
  Env env;
  const int kClients = 200;
  std::vector<std::shared_ptr<sp::crypto::KeyPair>> keys;
  for (int i = 0; i < kClients; ++i) {
    keys.push_back(std::make_shared<sp::crypto::KeyPair>(sp::crypto::GenerateKeyPair()));
    env.redis.Provision("real-" + std::to_string(i), *keys.back());
  }
  IdleFlood flood(env.server.Port(), 2000, 30, 8000);
  std::this_thread::sleep_for(3s);  // the flood is in full swing before the first client

  uv_loop_t loop;
  uv_loop_init(&loop);
  std::vector<std::unique_ptr<sealpost::Client>> clients;
  std::vector<std::chrono::steady_clock::time_point> started(kClients);
  std::vector<double> connect_s(kClients, -1);
  auto next_start = std::chrono::steady_clock::now();
  auto end = next_start + 40s;
  int welcomed = 0;
  // Eight new clients every second, spread over 25 s of the flood.
  while (welcomed < kClients && std::chrono::steady_clock::now() < end) {
    if (clients.size() < static_cast<size_t>(kClients) &&
        std::chrono::steady_clock::now() >= next_start) {
      for (int k = 0; k < 8; ++k) {
        int i = static_cast<int>(clients.size());
        sealpost::ClientOptions o;
        o.server = "127.0.0.1:" + std::to_string(env.server.Port());
        o.server_public_key = env.server.PublicKey();
        o.client_id = "real-" + std::to_string(i);
        o.key = keys[i];
        o.bind_host = "127.0.0." + std::to_string(2 + i);
        sealpost::ClientCallbacks cb;
        cb.on_connected = [&, i](const sealpost::Welcome&) {
          if (connect_s[i] >= 0) return;
          connect_s[i] =
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started[i]).count();
          welcomed++;
        };
        clients.push_back(std::make_unique<sealpost::Client>(&loop, o, cb));
        started[i] = std::chrono::steady_clock::now();
        std::string error;
        REQUIRE(clients.back()->Start(&error));
      }
      next_start += 1s;
    }
    uv_run(&loop, UV_RUN_NOWAIT);
    std::this_thread::sleep_for(1ms);
  }
  flood.Finish();
  CHECK(flood.Opened() >= 55'000);  // the flood really ran alongside, at its rate
  double worst = 0;
  for (int i = 0; i < kClients; ++i) {
    CAPTURE(i);
    CHECK(connect_s[i] >= 0);
    worst = std::max(worst, connect_s[i]);
  }
  MESSAGE("slowest of " << kClients << " connects: " << worst << " s");
  // 2 s is the promise, held by the Release build users run. The sanitizers
  // make every handshake's crypto several times slower, so that build gets
  // half as much again.
#ifdef __SANITIZE_ADDRESS__
  constexpr double kWorstConnectS = 3.0;
#else
  constexpr double kWorstConnectS = 2.0;
#endif
  CHECK(worst <= kWorstConnectS);
  clients.clear();
  for (int i = 0; i < 50; ++i) uv_run(&loop, UV_RUN_NOWAIT);
  uv_loop_close(&loop);
}
