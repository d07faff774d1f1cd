// A set of sealpost clients on one libuv loop, ramped up with a bounded
// number of handshakes in progress, each bound to a source address.
#pragma once

#include <uv.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench/bench.h"
#include "client/sealpost_client.h"

namespace spb {

class ClientSet {
 public:
  using EventHandler = std::function<void(size_t index, const sealpost::Event& event)>;

  ClientSet(uv_loop_t* loop, const ClientSetOptions& options);
  ~ClientSet();

  // Starts every client, at most options.concurrency handshakes at a time;
  // on_all runs once when each client has been welcomed once. on_event may be
  // empty: events then stay unacknowledged with the server.
  void Start(EventHandler on_event, std::function<void()> on_all);
  void PauseEvents(bool paused);
  // Stops and frees every client (the loop must keep running to release them).
  void Clear();

  size_t Size() const { return options_.clients; }
  // The client at `index` (valid once Start has created it: after on_all).
  sealpost::Client& At(size_t index) { return *clients_[index]; }
  size_t Connected() const { return connected_; }  // welcomed at least once
  size_t Live() const { return live_; }            // welcomed and not disconnected since
  uint64_t Errors() const { return errors_; }
  uint64_t Disconnects() const { return disconnects_; }
  uint64_t Attempts() const;
  uint64_t Duplicates() const;
  const std::string& FirstError() const { return first_error_; }
  // Errors by code (e.g. target_full, quota): what refused sends met.
  const std::map<std::string, uint64_t>& ErrorCodes() const { return error_codes_; }
  double RampSeconds() const;  // first start to last welcome
  double HandshakesPerSecond() const;

 private:
  void StartMore();
  void OnConnected(size_t index);

  uv_loop_t* loop_;
  ClientSetOptions options_;
  std::vector<std::shared_ptr<const sp::crypto::KeyPair>> keys_;
  std::vector<std::unique_ptr<sealpost::Client>> clients_;
  std::vector<char> welcomed_;
  EventHandler on_event_;
  std::function<void()> on_all_;
  uv_timer_t* timer_ = nullptr;  // paces the ramp-up; freed by its close callback
  size_t started_ = 0;
  size_t in_progress_ = 0;
  size_t connected_ = 0;
  size_t live_ = 0;
  uint64_t errors_ = 0;
  uint64_t disconnects_ = 0;
  std::string first_error_;
  std::map<std::string, uint64_t> error_codes_;
  int64_t t_first_ = 0;
  int64_t t_last_ = 0;
};

}  // namespace spb
