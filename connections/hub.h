// The hub owns every connection of one event loop: it accepts them (through
// Admission), maps ids and client ids to them, binds one live session per
// client across nodes, owns the loop's timers and runs the graceful
// shutdown. Delivery lives in each session (Delivery), socket work in each
// Connection; the hub only routes to them.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>

#include "connections/admission.h"
#include "connections/connection.h"
#include "connections/loop_context.h"
#include "connections/settings.h"
#include "crypto/keys.h"
#include "services/services.h"

namespace sp::connections {

class Hub final : public ConnectionEvents {
 public:
  Hub(uv_loop_t* loop, services::Services& services, const crypto::KeyPair& server_key,
      Settings settings);
  ~Hub();

  void Start();
  // Accepts one pending connection from `listener` (or refuses it politely).
  void Accept(uv_stream_t* listener);
  // Graceful stop: goaway to every client, wait up to the drain timeout for
  // outstanding acks, flush counters, close everything, then `done`.
  void BeginShutdown(std::function<void()> done);

  // ---- For the metrics endpoint --------------------------------------------------
  const Stats& GetStats() const { return ctx_.stats; }
  size_t ConnectionCount() const { return ctx_.table.Size(); }
  size_t HandshakesWaiting() const { return admission_.Waiting(); }
  size_t SessionCount() const { return ctx_.table.SessionCount(); }
  uint64_t InflightTotal() const;
  // True from the start of a graceful shutdown: the node accepts no one.
  bool Draining() const { return ctx_.shutting_down; }
  // The client ids of this loop's live sessions (at most `max`), for the
  // status page's queue survey.
  std::vector<std::string> SessionClients(size_t max) const;

 private:
  // ---- ConnectionEvents ------------------------------------------------------------
  bool AdmitHandshake(Connection& conn, std::string_view first_frame) override;
  void OnHandshakeEnded(Connection& conn) override;
  void OnAuthenticated(Connection& conn, const services::SessionStart& start) override;
  void OnStartAbandoned(const std::string& client, uint64_t session_id,
                        const services::SessionStart& start) override;
  void OnClosing(Connection& conn) override;
  void OnClosed(Connection& conn) override;
  Delivery* FindDelivery(uint64_t conn_id) override;

  static void OnTick(uv_timer_t* timer);
  static void OnCheck(uv_check_t* check);
  static void OnPrepare(uv_prepare_t* prepare);
  static void OnUsageTimer(uv_timer_t* timer);
  static void OnAckTimer(uv_timer_t* timer);
  static void OnBeatTimer(uv_timer_t* timer);
  static void OnPollTimer(uv_timer_t* timer);
  static void OnDrainTimer(uv_timer_t* timer);

  void StartWaitingHandshakes();
  void KickIfOlder(const services::SessionAnnouncement& announcement);
  void OnNewEvents(const std::string& client);
  void Recheck(const std::string& client);
  void ForEachDelivery(const std::function<void(Delivery&)>& fn);
  void Beat();
  void SendGoaways();
  void FinishShutdown();

  Settings settings_;
  LoopContext ctx_;
  Admission admission_;
  uv_timer_t tick_timer_;
  uv_timer_t usage_timer_;
  uv_timer_t ack_timer_;  // armed while acks wait to be written
  uv_timer_t beat_timer_;
  uv_timer_t poll_timer_;
  uv_timer_t drain_timer_;
  uv_check_t flush_check_;
  uv_prepare_t read_prepare_;
  uint64_t next_id_ = 1;
  int64_t started_ms_ = 0;
  uint64_t drain_started_ms_ = 0;
  std::function<void()> on_shutdown_done_;
};

}  // namespace sp::connections
