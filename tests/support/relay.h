// A TCP relay on 127.0.0.1 in front of a server port that keeps a copy of
// every byte in each direction: what anyone on the path would see. Tests use
// it to show that nothing readable crosses the wire, and what a client sent
// before it gave up.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>

namespace sp::testkit {

class Relay {
 public:
  explicit Relay(int target_port);
  ~Relay();
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  int Port() const { return port_; }
  // Everything relayed so far, all connections concatenated in arrival order.
  std::string ClientToServer() const;
  std::string ServerToClient() const;
  int Connections() const;

 private:
  void Loop();

  int target_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::string up_;    // client -> server
  std::string down_;  // server -> client
  int connections_ = 0;
  std::thread thread_;
};

}  // namespace sp::testkit
