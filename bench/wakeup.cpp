// The machine's own wake-up cost, without sealpost: a loopback TCP ping-pong
// between this process and a forked echo process, back to back and at a
// sparse fixed rate (the client sleeps between round trips, the echo process
// blocks in read), and the same sparse rate with both sides spinning on
// non-blocking reads instead of blocking, so no CPU goes idle (kept short: it
// takes both cores). If sparse is
// slower than back to back and spinning closes the gap, the difference is
// the cost of waking an idle CPU, outside any server's code.
//
// hold-cpu-latency: writes 0 to /dev/cpu_dma_latency and keeps the file open
// (the kernel keeps CPUs out of deep idle states while it is open) until it
// is stopped or its time is up; the request ends with the process.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include "bench/bench.h"
#include "bench/measure.h"

namespace spb {
namespace {

constexpr char kQuit = 'q';

// Reads exactly one byte; spinning on a non-blocking socket when spin. False
// on EOF or error, or when deadline_ns passes while spinning.
bool ReadByte(int fd, bool spin, int64_t deadline_ns, char* c) {
  while (true) {
    ssize_t n = recv(fd, c, 1, spin ? MSG_DONTWAIT : 0);
    if (n == 1) return true;
    if (n == 0) return false;
    if (errno == EINTR) continue;
    if (spin && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (NowNs() > deadline_ns) return false;
      continue;
    }
    return false;
  }
}

bool WriteByte(int fd, char c) {
  while (true) {
    ssize_t n = send(fd, &c, 1, MSG_NOSIGNAL);
    if (n == 1) return true;
    if (n < 0 && errno == EINTR) continue;
    return false;
  }
}

// The echo side: one byte back for each byte; 's' switches to spinning reads,
// 'b' back to blocking ones; kQuit or EOF ends it. Bounded by max_seconds.
[[noreturn]] void Echo(int fd, double max_seconds) {
  int64_t until = NowNs() + static_cast<int64_t>(max_seconds * 1e9);
  bool spin = false;
  char c;
  while (NowNs() < until && ReadByte(fd, spin, until, &c)) {
    if (c == kQuit) break;
    if (c == 's') spin = true;
    if (c == 'b') spin = false;
    if (!WriteByte(fd, c)) break;
  }
  _exit(0);
}

void SleepUntil(int64_t t_ns) {
  timespec ts{static_cast<time_t>(t_ns / 1000000000), static_cast<long>(t_ns % 1000000000)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

nlohmann::json Brief(std::vector<int64_t>& ns) {
  nlohmann::json j = LatencySummary(ns);
  j.erase("cdf");
  return j;
}

// One phase: round trips for `seconds` (at most max_trips), at `rate` per
// second (0: back to back), spinning or blocking on both sides.
nlohmann::json Phase(int fd, double rate, bool spin, double seconds, size_t max_trips) {
  char mode = spin ? 's' : 'b', c;
  if (!WriteByte(fd, mode) || !ReadByte(fd, false, 0, &c)) return {{"error", "echo"}};
  std::vector<int64_t> rtt, oversleep;
  rtt.reserve(max_trips);
  if (rate > 0) oversleep.reserve(max_trips);
  int64_t start = NowNs(), stop = start + static_cast<int64_t>(seconds * 1e9);
  for (size_t i = 0; i < max_trips; ++i) {
    if (rate > 0) {
      int64_t due = start + static_cast<int64_t>(static_cast<double>(i + 1) * 1e9 / rate);
      if (due >= stop) break;
      if (spin) {
        while (NowNs() < due) {
        }
      } else {
        SleepUntil(due);
      }
      oversleep.push_back(NowNs() - due);
    } else if (NowNs() >= stop) {
      break;
    }
    int64_t t0 = NowNs();
    if (!WriteByte(fd, 'p')) return {{"error", std::string("send: ") + std::strerror(errno)}};
    errno = 0;
    if (!ReadByte(fd, spin, stop + 10000000000, &c)) {
      return {{"error", std::string("receive: ") + (errno ? std::strerror(errno) : "closed or late")},
              {"at", i}};
    }
    rtt.push_back(NowNs() - t0);
  }
  nlohmann::json j;
  j["rate"] = rate;
  j["spin"] = spin;
  j["rtt_us"] = Brief(rtt);
  if (rate > 0) j["oversleep_us"] = Brief(oversleep);
  return j;
}

std::string ReadFirstLine(const char* path) {
  std::ifstream f(path);
  std::string s;
  if (!f || !std::getline(f, s)) return "";
  return s;
}

}  // namespace

int RunWakeup(const WakeupOptions& o) {
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t alen = sizeof a;
  if (lfd < 0 || bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(lfd, 1) != 0 ||
      getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &alen) != 0) {
    std::perror("sealpost-bench wakeup: listen");
    return 1;
  }
  const double total = 3 * o.seconds + 10;  // every phase, plus slack
  pid_t child = fork();
  if (child < 0) {
    std::perror("sealpost-bench wakeup: fork");
    return 1;
  }
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int fd = accept(lfd, nullptr, nullptr);
    if (fd < 0) _exit(1);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    Echo(fd, total);
  }
  close(lfd);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    std::perror("sealpost-bench wakeup: connect");
    kill(child, SIGKILL);
    return 1;
  }
  const size_t cap = 2000000;
  nlohmann::json out;
  out["bench"] = "wakeup";
  out["seconds_per_phase"] = o.seconds;
  out["backtoback"] = Phase(fd, 0, false, o.seconds, cap);
  out["sparse"] = Phase(fd, o.rate, false, o.seconds, cap);
  // Spinning takes both cores: kept short.
  out["sparse_spin"] = Phase(fd, o.rate, true, std::min(o.seconds, 2.0), cap);
  WriteByte(fd, kQuit);
  close(fd);
  waitpid(child, nullptr, 0);
  out["rate"] = o.rate;
  out["timerslack_ns"] = ReadFirstLine("/proc/self/timerslack_ns");
  out["cpuidle_driver"] = ReadFirstLine("/sys/devices/system/cpu/cpuidle/current_driver");
  out["cpuidle_governor"] = ReadFirstLine("/sys/devices/system/cpu/cpuidle/current_governor");
  std::string cpu_latency_qos = ReadFirstLine("/sys/devices/system/cpu/cpu0/power/pm_qos_resume_latency_us");
  if (!cpu_latency_qos.empty()) out["cpu0_pm_qos_resume_latency_us"] = cpu_latency_qos;
  auto us = [&](const char* phase) -> double {
    const auto& p = out[phase];
    if (!p.contains("rtt_us") || !p["rtt_us"].contains("p50")) return 0;
    return p["rtt_us"]["p50"].get<double>();
  };
  if (us("backtoback") > 0) {
    out["sparse_minus_backtoback_p50_us"] = us("sparse") - us("backtoback");
    out["sparse_spin_minus_backtoback_p50_us"] = us("sparse_spin") - us("backtoback");
  }
  Emit(out);
  return 0;
}

int RunHoldCpuLatency(const HoldCpuLatencyOptions& o) {
  nlohmann::json j;
  j["bench"] = "hold-cpu-latency";
  int fd = open("/dev/cpu_dma_latency", O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    j["held"] = false;
    j["error"] = std::strerror(errno);
    Emit(j);
    return 1;
  }
  int32_t value = o.microseconds;
  if (write(fd, &value, sizeof value) != static_cast<ssize_t>(sizeof value)) {
    j["held"] = false;
    j["error"] = std::strerror(errno);
    Emit(j);
    return 1;
  }
  j["held"] = true;
  j["microseconds"] = value;
  Emit(j);
  // Held until SIGTERM (default action: the kernel closes the file) or the time limit.
  int64_t until = NowNs() + static_cast<int64_t>(o.seconds * 1e9);
  while (NowNs() < until) usleep(100000);
  close(fd);
  return 0;
}

}  // namespace spb
