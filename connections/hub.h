// The hub owns every connection of one event loop: the id table, the client
// -> connection map (one live session per client), the timer wheel, shared
// read buffers, and the glue to services (Redis) for delivery.
#pragma once

#include <uv.h>

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "connections/connection.h"
#include "connections/limits.h"
#include "connections/timer_wheel.h"
#include "crypto/keys.h"
#include "services/services.h"

namespace sp::connections {

struct HubStats {
  uint64_t accepted = 0;
  uint64_t rejected = 0;  // over max connections or connect rate
  uint64_t handshake_failures = 0;
  uint64_t sessions_started = 0;
  uint64_t events_sent = 0;
  uint64_t events_resent = 0;
  uint64_t events_acked = 0;
  uint64_t events_dead = 0;
  uint64_t client_events = 0;
  uint64_t protocol_errors = 0;
};

class Hub {
 public:
  Hub(uv_loop_t* loop, services::Services& services, const crypto::KeyPair& server_key,
      Limits limits);
  ~Hub();

  void Start();
  // Accepts one pending connection from `listener` (or refuses it politely).
  void Accept(uv_stream_t* listener);
  // Graceful stop: goaway to every client, wait up to drain_timeout_ms for
  // outstanding acks, flush counters, close everything, then `done`.
  void BeginShutdown(std::function<void()> done);

  // ---- For connections ------------------------------------------------------
  uv_loop_t* Loop() { return loop_; }
  const Limits& GetLimits() const { return limits_; }
  services::Services& Services() { return services_; }
  const crypto::KeyPair& ServerKey() const { return server_key_; }
  TimerWheel& Wheel() { return wheel_; }
  uint64_t NowMs() const;
  HubStats& Stats() { return stats_; }
  bool ShuttingDown() const { return shutting_down_; }
  Connection* Find(uint64_t id);
  uv_buf_t ReadBuffer();
  // Scratch space for decoding/decrypting one frame (valid until the next call).
  uint8_t* Scratch(size_t size);

  // Binds an authenticated client; an older local session is replaced.
  void BindClient(Connection* conn);
  void Forget(Connection* conn);  // from the close path
  // Queues `conn` for the end-of-iteration flush of socket output.
  void MarkForFlush(Connection* conn) { to_flush_.push_back(conn->Id()); }
  // A connection counted by Accept() left the handshake (active or closed).
  void HandshakeEnded() { --handshaking_; }
  // Starts queued handshakes while fewer than max_handshakes are in progress.
  void StartWaitingHandshakes();
  void FreeConnection(Connection* conn);  // from the close callback

  // ---- Delivery (delivery.cpp) -----------------------------------------------
  void StartDelivery(Connection* conn);
  void Pump(Connection* conn);  // read more if the window has room
  void OnAck(Connection* conn, const std::string& event_id);
  void OnRetryDue(Connection* conn, uint64_t now_ms);
  void OnNewEvents(const std::string& client);
  void ReloadAll();  // after a Redis reconnect

  size_t ConnectionCount() const { return conns_.size(); }
  size_t HandshakesWaiting() const { return waiting_handshakes_.size(); }
  size_t SessionCount() const { return clients_.size(); }
  uint64_t InflightTotal() const;
  std::vector<std::string> ClientIds() const;

 private:
  static void OnTick(uv_timer_t* timer);
  static void OnCheck(uv_check_t* check);
  static void OnUsageTimer(uv_timer_t* timer);
  static void OnBeatTimer(uv_timer_t* timer);
  static void OnPollTimer(uv_timer_t* timer);
  static void OnDrainTimer(uv_timer_t* timer);

  bool AllowConnectFrom(uv_tcp_t* tcp);
  void PruneIpBuckets();
  void SendEntries(Connection* conn, std::vector<services::StreamEntry> entries);
  bool SendEvent(Connection* conn, size_t index);
  void DeadLetter(Connection* conn, size_t index, std::string_view reason);
  void ClaimMore(Connection* conn);
  void ReadNew(Connection* conn);
  void Beat();
  void FinishShutdown();
  void KickIfOlder(const services::SessionAnnouncement& announcement);

  uv_loop_t* loop_;
  services::Services& services_;
  const crypto::KeyPair& server_key_;
  Limits limits_;
  TimerWheel wheel_;
  uv_timer_t tick_timer_;
  uv_timer_t usage_timer_;
  uv_timer_t beat_timer_;
  uv_timer_t poll_timer_;
  uv_timer_t drain_timer_;
  uv_check_t flush_check_;
  uint64_t next_id_ = 1;
  int64_t started_ms_ = 0;
  std::unordered_map<uint64_t, Connection*> conns_;
  std::unordered_map<std::string, uint64_t> clients_;  // client id -> connection id
  struct IpBucket {
    uint64_t tokens_milli;
    uint64_t at_ms;
  };
  std::unordered_map<std::string, IpBucket> ip_buckets_;
  std::unique_ptr<char[]> read_buffer_;
  std::vector<uint64_t> to_flush_;           // connections with queued output
  size_t handshaking_ = 0;                   // started, not yet active or closed
  std::deque<uint64_t> waiting_handshakes_;  // accepted, not started: arrival order
  std::vector<uint8_t> scratch_;
  HubStats stats_;
  bool shutting_down_ = false;
  uint64_t drain_started_ms_ = 0;
  std::function<void()> on_shutdown_done_;
  friend class Connection;
};

}  // namespace sp::connections
