#include "bench/peers/peer_common.h"
#include <sys/prctl.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace peer {

Args::Args(int argc, char** argv) {
  int i = 1;
  if (i < argc && argv[i][0] != '-') command_ = argv[i++];
  for (; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0) continue;
    if (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0)
      kv_.emplace_back(a.substr(2), argv[++i]);
    else
      kv_.emplace_back(a.substr(2), "");
  }
}

std::string Args::Get(const std::string& name, const std::string& fallback) const {
  for (const auto& [k, v] : kv_)
    if (k == name) return v;
  return fallback;
}

double Args::Num(const std::string& name, double fallback) const {
  std::string v = Get(name, "");
  return v.empty() ? fallback : std::atof(v.c_str());
}

bool Args::Has(const std::string& name) const {
  for (const auto& [k, v] : kv_)
    if (k == name) return true;
  return false;
}

namespace {
const char* program_name = "sealpost-bench-peer";
}  // namespace

const char* Program() {
  return program_name;
}

void Die(const std::string& what) {
  std::fprintf(stderr, "%s: %s: %s\n", program_name, what.c_str(), std::strerror(errno));
  std::exit(1);
}

int Dial(const std::string& host, int port, bool nodelay) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) Die("socket");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, host.c_str(), &a.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) Die("connect");
  int one = 1;
  if (nodelay) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

void WriteAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) Die("write");
    off += static_cast<size_t>(n);
  }
}

FlowOptions ParseFlow(const Args& args, const std::string& receivers_flag) {
  FlowOptions o;
  o.receivers_flag = receivers_flag;
  o.receivers = static_cast<size_t>(args.Num(receivers_flag, 100));
  o.duration = args.Num("duration", 10);
  o.rate = args.Num("rate", 0);
  o.cap = static_cast<size_t>(args.Num("cap", 40));
  o.payload_bytes = static_cast<size_t>(args.Num("payload", 256));
  o.drain_timeout = args.Num("drain-timeout", 60);
  return o;
}

std::vector<int64_t> FlowOptions::LatencyBuffer() const {
  std::vector<int64_t> v;
  if (Latency()) v.reserve(static_cast<size_t>(rate * duration * 1.1) + 1024);
  return v;
}

Producer::Producer(const FlowOptions& opts, int64_t t_start)
    : opts_(opts),
      t_start_(t_start),
      t_stop_(t_start + static_cast<int64_t>(opts.duration * 1e9)),
      sent_(opts.receivers, 0) {
  if (!opts.Latency()) return;
  lateness_.reserve(static_cast<size_t>(opts.rate * opts.duration * 1.1) + 1024);
  // The producing thread waits until each event's time: the default 50 us of
  // timer slack would send them late (as in bench/flow.cpp).
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
}

size_t Producer::NextReceiver() {
  size_t i = next_;
  next_ = (next_ + 1) % opts_.receivers;
  return i;
}

int ReportFlow(nlohmann::json j, const std::string& bench, const FlowOptions& opts,
               const Producer& producer, uint64_t delivered, int64_t t_delivered,
               std::vector<int64_t>& latencies_ns) {
  uint64_t sent = producer.Sent();
  j["bench"] = bench + (opts.Latency() ? "-latency" : "-throughput");
  j[opts.receivers_flag] = opts.receivers;
  j["payload"] = opts.payload_bytes;
  j["sent"] = sent;
  j["delivered"] = delivered;
  j["lost"] = static_cast<long long>(sent) - static_cast<long long>(delivered);
  j["phase"] = t_delivered ? "done" : "drain_timeout";
  double produce_s = static_cast<double>(producer.Stop() - producer.Start()) / 1e9;
  if (opts.Latency()) {
    j["rate"] = opts.rate;
    j["achieved_eps"] = static_cast<double>(delivered) / produce_s;
    j["latency_us"] = LatencySummary(latencies_ns);
    std::vector<int64_t> late = producer.Lateness();
    nlohmann::json lj = LatencySummary(late);
    lj.erase("cdf");
    j["send_lateness_us"] = lj;
  } else {
    j["cap"] = opts.cap;
    if (t_delivered)
      j["throughput_eps"] =
          static_cast<double>(sent) / (static_cast<double>(t_delivered - producer.Start()) / 1e9);
  }
  Emit(j);
  return t_delivered ? 0 : 1;
}

IdleOptions ParseIdle(const Args& args, int default_port) {
  return {args.Get("host", "127.0.0.1"), static_cast<int>(args.Num("port", default_port)),
          static_cast<size_t>(args.Num("clients", 1000)), args.Num("hold", 10)};
}

nlohmann::json IdleReport(nlohmann::json j, const IdleOptions& opts, size_t connected, int64_t t0) {
  j["clients"] = opts.clients;
  j["connected"] = connected;
  j["ramp_seconds"] = static_cast<double>(NowNs() - t0) / 1e9;
  return j;
}

void HoldIdle(nlohmann::json j, const IdleOptions& opts) {
  j["phase"] = "connected";
  Emit(j);
  int64_t until = NowNs() + static_cast<int64_t>(opts.hold * 1e9);
  while (NowNs() < until) usleep(100000);
  j["phase"] = "done";
  Emit(j);
  std::_Exit(0);
}

int Main(int argc, char** argv, const char* program, int (*flow)(const Args&),
         int (*idle)(const Args&)) {
  program_name = program;
  Args args(argc, argv);
  if (args.Command() == "flow") return flow(args);
  if (args.Command() == "idle") return idle(args);
  std::fprintf(stderr, "usage: %s flow|idle [--options]\n", program);
  return 2;
}

}  // namespace peer
