// Subcommands of sealpost-bench. Each prints one JSON line with its result
// (idle and storm also print progress lines with a "phase" key).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace spb {

struct X25519Options {
  double seconds = 2.0;
};

struct ProvisionOptions {
  std::string redis = "redis://127.0.0.1:6379/0";
  std::string prefix = "b";
  size_t first = 0;
  size_t clients = 1000;
};

struct RedisFloorOptions {
  std::string redis = "redis://127.0.0.1:6379/0";
  std::string prefix = "f";
  size_t clients = 100;
  double duration = 10;
  size_t batch = 64;     // XREADGROUP COUNT: the server's inflight window
  size_t backlog = 128;  // events per client XADDed but not yet acked
  size_t payload = 256;
};

// Options shared by every subcommand that runs sealpost clients.
struct ClientSetOptions {
  std::string server = "127.0.0.1:9300";
  std::string server_pk;
  std::string redis = "redis://127.0.0.1:6379/0";
  std::string prefix = "b";
  size_t first = 0;
  size_t clients = 100;
  std::vector<std::string> source_ips;  // round-robin; empty: kernel's choice
  size_t concurrency = 256;             // handshakes in progress while ramping up
  double connect_timeout = 120;         // seconds for the whole ramp-up
};

struct IdleOptions {
  ClientSetOptions set;
  double hold = 10;  // seconds to hold every connection after the ramp-up
};

struct FlowOptions {
  ClientSetOptions set;
  double duration = 10;
  double rate = 0;       // events/s; 0: as fast as the backlog lets (throughput)
  size_t backlog = 128;  // throughput: per client, XADDed but not yet received
  size_t payload = 256;
  double drain_timeout = 60;
};

struct StormOptions {
  ClientSetOptions set;
  size_t pending_unacked = 1;  // per client: delivered before the restart, never acked
  size_t pending_new = 1;      // per client: XADDed while the clients were away
  bool wait_signal = true;     // wait for SIGUSR1 (the restarted server is up)
  double timeout = 120;
};

// Messaging between clients (PROTOCOL.md §6). dm: clients [0, pairs) send
// to [pairs, 2*pairs), client i to i + pairs. fanout: client 0 sends to
// group:<group>, whose other members are clients 1..members.
struct MessagingOptions {
  ClientSetOptions set;  // sealpost runs; the floors use set.redis and set.prefix only
  size_t pairs = 100;
  size_t members = 1000;
  std::string group = "bench-fan";
  double duration = 10;
  // dm: per sender, messages sent and not yet received by its target;
  // fanout: group messages sent and not yet received by every member.
  size_t window = 64;
  double rate = 0;  // dm: messages/s, fanout: group messages/s; 0: closed loop
  size_t payload = 256;
  double drain_timeout = 60;
  size_t batch = 64;  // floors: XREADGROUP COUNT (the server's inflight window)
};

// The machine's wake-up cost (bench/wakeup.cpp): loopback ping-pong between
// two processes, back to back and at `rate` round trips/s.
struct WakeupOptions {
  double rate = 1000;
  double seconds = 5;  // per phase
};

// Holds /dev/cpu_dma_latency at `microseconds` while the process runs.
struct HoldCpuLatencyOptions {
  int microseconds = 0;
  double seconds = 600;  // bounded: gives up the request after this
};

int RunX25519(const X25519Options& o);
int RunProvision(const ProvisionOptions& o);
int RunRedisFloor(const RedisFloorOptions& o);
int RunIdle(const IdleOptions& o);
int RunFlow(const FlowOptions& o);
int RunStorm(const StormOptions& o);
int RunDm(const MessagingOptions& o);
int RunFanout(const MessagingOptions& o);
int RunDmFloor(const MessagingOptions& o);
int RunFanoutFloor(const MessagingOptions& o);
int RunWakeup(const WakeupOptions& o);
int RunHoldCpuLatency(const HoldCpuLatencyOptions& o);

// User + system CPU seconds of this process so far.
double ProcessCpuSeconds();

// "127.0.0.1-127.0.0.16" or "a,b,c" -> list of addresses.
std::vector<std::string> ExpandSourceIps(const std::string& spec);

}  // namespace spb
