// Test support: real processes (redis-server, sealpost-server, the CLI) on
// free ports in a temporary directory (temp_dir.h), stopped by their PID at
// the end.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace sp::testkit {

std::string BinDir();                                           // build/bin of this build
int FreePort();                                                 // an unused TCP port on 127.0.0.1
bool WaitForPort(int port, std::chrono::milliseconds timeout);  // on 127.0.0.1
bool WaitForPort(const std::string& host, int port, std::chrono::milliseconds timeout);
std::string ReadFile(const std::string& path);

// A child process with stdout/stderr captured to files. It leads a process
// group of its own, so that Kill9 and the destructor also end whatever it
// started (a sealpost-server supervisor's workers), as a crash of the machine
// would; Stop sends its signal to the process alone.
class Process {
 public:
  Process() = default;
  Process(const std::vector<std::string>& argv, const std::string& log_prefix);
  ~Process();
  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;

  pid_t Pid() const { return pid_; }
  bool Running();
  // Sends `signum` and waits (bounded); returns the exit status (-1 if it had to be killed).
  int Stop(int signum = 15, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  void Kill9();                                 // SIGKILL to the whole process group
  int Wait(std::chrono::milliseconds timeout);  // exit code, or -1 on timeout
  std::string Stdout() const { return ReadFile(out_path_); }
  std::string Stderr() const { return ReadFile(err_path_); }
  // Waits until stderr (or stdout) contains `text`.
  bool WaitForOutput(const std::string& text, std::chrono::milliseconds timeout,
                     bool in_stdout = false);

 private:
  pid_t pid_ = -1;
  int status_ = 0;
  bool reaped_ = false;
  std::string out_path_;
  std::string err_path_;
};

// Runs a command to completion; returns exit code and captures stdout.
int Run(const std::vector<std::string>& argv, std::string* out = nullptr,
        std::string* err = nullptr, std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace sp::testkit
