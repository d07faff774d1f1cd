#include "tests/support/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "tests/support/temp_dir.h"

namespace sp::testkit {

int KernelFreePort();

std::string BinDir() {
  return SEALPOST_BIN_DIR;
}

// The kernel may hand the same free port out again once it was released, so
// ports given to this test process are remembered and never repeated.
int FreePort() {
  static std::set<int> handed_out;
  for (;;) {
    int port = KernelFreePort();
    if (handed_out.insert(port).second) return port;
  }
}

int KernelFreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

bool WaitForPort(int port, std::chrono::milliseconds timeout) {
  return WaitForPort("127.0.0.1", port, timeout);
}

bool WaitForPort(const std::string& host, int port, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    if (ok) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Process::Process(const std::vector<std::string>& argv, const std::string& log_prefix)
    : out_path_(log_prefix + ".out"), err_path_(log_prefix + ".err") {
  pid_ = fork();
  if (pid_ == 0) {
    setpgid(0, 0);
    int out = open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    dup2(out, 1);
    dup2(err, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
}

Process::~Process() {
  if (pid_ > 0 && !reaped_) {
    Stop(SIGKILL, std::chrono::seconds(5));
    kill(-pid_, SIGKILL);  // and anything it started that is still there
  }
}

Process::Process(Process&& o) noexcept {
  *this = std::move(o);
}

Process& Process::operator=(Process&& o) noexcept {
  std::swap(pid_, o.pid_);
  std::swap(status_, o.status_);
  std::swap(reaped_, o.reaped_);
  std::swap(out_path_, o.out_path_);
  std::swap(err_path_, o.err_path_);
  return *this;
}

bool Process::Running() {
  if (pid_ <= 0 || reaped_) return false;
  pid_t r = waitpid(pid_, &status_, WNOHANG);
  if (r == pid_) reaped_ = true;
  return !reaped_;
}

int Process::Wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (Running()) {
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (WIFEXITED(status_)) return WEXITSTATUS(status_);
  return 128 + (WIFSIGNALED(status_) ? WTERMSIG(status_) : 0);
}

int Process::Stop(int signum, std::chrono::milliseconds timeout) {
  if (!Running()) return Wait(std::chrono::milliseconds(0));
  kill(pid_, signum);
  int code = Wait(timeout);
  if (code == -1) {
    kill(pid_, SIGKILL);
    Wait(std::chrono::seconds(5));
    return -1;
  }
  return code;
}

void Process::Kill9() {
  if (!Running()) return;
  kill(-pid_, SIGKILL);
  Wait(std::chrono::seconds(5));
}

bool Process::WaitForOutput(const std::string& text, std::chrono::milliseconds timeout,
                            bool in_stdout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if ((in_stdout ? Stdout() : Stderr()).find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

int Run(const std::vector<std::string>& argv, std::string* out, std::string* err,
        std::chrono::milliseconds timeout) {
  TempDir dir;  // outlives `p`: its output files are read below
  Process p(argv, dir.File("run"));
  int code = p.Wait(timeout);
  if (code == -1) p.Stop(SIGKILL);
  if (out) *out = p.Stdout();
  if (err) *err = p.Stderr();
  return code;
}

}  // namespace sp::testkit
