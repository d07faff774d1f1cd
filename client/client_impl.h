// Internals of sealpost::Client. One Impl per client id; each connection
// attempt gets its own Conn so a closing socket (libuv closes asynchronously)
// never touches the state of the next attempt.
#pragma once

#include <sys/socket.h>
#include <uv.h>

#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "client/backoff.h"
#include "client/dedup.h"
#include "client/handshake_initiator.h"
#include "client/sealpost_client.h"
#include "crypto/sealpost_noise.h"
#include "shared/frame_decoder.h"
#include "shared/messages.h"
#include "shared/protocol.h"

namespace sealpost {

namespace internal {

enum class Phase : unsigned char {
  Idle,          // not started, or stopped
  Waiting,       // backing off before the next attempt
  Connecting,    // TCP connect in progress
  AwaitingMsg2,  // handshake message 1 sent
  AwaitingWelcome,
  Active,
};

// One TCP connection. Owned by Impl while current; once abandoned it lives on
// only until libuv has closed its handles, then frees itself.
struct Conn {
  explicit Conn(Client::Impl* owner);
  Client::Impl* owner;  // nullptr once abandoned
  uv_tcp_t tcp;
  uv_connect_t connect_req;
  uv_timer_t piece_timer;  // paces split handshake frames
  int open_handles = 0;
  sp::proto::FrameDecoder decoder;
  std::unique_ptr<HandshakeInitiator> handshake;  // from connect until message 3
  sp::crypto::Transport transport;
  bool has_transport = false;
  std::deque<std::string> pieces;  // split handshake bytes still to write

  void Abandon();  // closes the handles; frees itself in the last close callback
};

// A client-event or request kept until the server acknowledges it.
struct PendingSend {
  std::string id;
  std::variant<sp::proto::ClientEvent, sp::proto::Request> message;  // ts stamped on each send
  bool sent = false;      // written on the current connection
  uint64_t retry_at = 0;  // loop time before which it must not be resent
};

// A request waiting for its final reply.
struct PendingRequest {
  uint64_t deadline = 0;  // loop time
  std::function<void(const Reply&)> on_reply;
  std::function<void(const Event&)> on_part;
  std::vector<Event> parts;
};

}  // namespace internal

class Client::Impl {
 public:
  Impl(uv_loop_t* loop, ClientOptions options, ClientCallbacks callbacks);

  bool Start(std::string* error);
  void Stop();
  void Destroy();  // Stop, drop callbacks, free once the timer is closed
  void Reconnect();
  void PauseEvents(bool paused) { events_paused_ = paused; }
  SendResult SendEvent(std::string type, std::string data, Fields extra);
  SendResult SendEventTo(std::string to, std::string type, std::string data, Fields extra);
  SendResult Request(std::string method, std::string params_json,
                     std::function<void(const Reply&)> on_reply, RequestOptions options);

  bool IsConnected() const { return phase_ == internal::Phase::Active; }
  size_t PendingSends() const { return pending_.size(); }
  const ClientStats& Stats() const { return stats_; }
  const std::string& Id() const { return options_.client_id; }

  // ---- Called from Conn's libuv callbacks (client_conn.cpp) ----------------
  void OnConnected(internal::Conn* conn, int status);
  void OnData(internal::Conn* conn, std::string_view chunk);
  void OnReadError(internal::Conn* conn, int status);
  void OnWriteDone(const std::vector<std::string>& ack_event_ids, int status);

 private:
  // Lifecycle (client.cpp)
  bool LoadKey(std::string* error);
  bool ParseServers(std::string* error);
  void NextServer();
  void BeginAttempt();
  int BindSource();  // socket bound to options_.bind_host, port chosen at connect
  void Fail(const ClientError& error);
  void DropConnection();
  void ScheduleReconnect(uint64_t delay_ms);
  void Arm();
  static void OnTimer(uv_timer_t* timer);
  void OnDeadlines(uint64_t now);
  void ReportError(const ClientError& error);
  std::string NextId();

  // Sending client-events (client.cpp)
  SendResult Queue(sp::proto::ClientEvent message, std::string_view to);
  SendResult Admit(internal::PendingSend p, size_t json_bytes);
  void FlushSends();
  void OnSendAck(const std::string& id);
  void OnSendError(const sp::proto::Error& error);

  // Requests and replies (client_requests.cpp)
  // True when the event answers a request we wait for (then it is taken).
  bool TakeReply(const Event& event);
  bool IsAwaitedReply(const sp::proto::EventFields& fields) const;
  void FinishRequest(const std::string& id, ClientError error);
  void ExpireRequests(uint64_t now);
  uint64_t NextRequestDeadline() const;

  // Wire (client_conn.cpp)
  void WriteBytes(std::string bytes, std::vector<std::string> ack_event_ids = {});
  void WriteHandshakeFrame(std::string frame);
  static void OnPieceTimer(uv_timer_t* timer);
  void WriteNextPiece();
  bool SendMessage(const std::string& json, std::string ack_event_id = {});
  void OnFrame(std::string_view frame);
  void OnMsg2(std::string_view frame);
  bool CheckKnownServer(const std::string& key_b64);
  void OnPlainFrame(std::string_view frame);
  void OnTransportFrame(std::string_view frame);
  void OnMessage(sp::proto::ServerMessage& message);
  void OnWelcome(const sp::proto::Welcome& welcome);
  void OnServerEvent(sp::proto::ServerEvent& event);
  // `authenticated`: it arrived encrypted (only then may it be fatal).
  void OnServerError(const sp::proto::Error& error, bool authenticated);
  void OnGoaway(const sp::proto::Goaway& goaway);

  uv_loop_t* loop_;
  ClientOptions options_;
  ClientCallbacks callbacks_;
  std::shared_ptr<const sp::crypto::KeyPair> key_;
  sp::crypto::Bytes pinned_;  // 32 bytes, or empty: known-servers file (first use)
  struct Server {
    std::string entry;  // "host:port" as given
    std::string label;  // its known-servers entry: server_name or `entry`
    sockaddr_storage addr{};
  };
  std::vector<Server> servers_;
  size_t server_ = 0;  // index of the server the current or next attempt uses
  sockaddr_storage bind_addr_{};
  bool have_bind_ = false;

  internal::Phase phase_ = internal::Phase::Idle;
  internal::Conn* conn_ = nullptr;
  bool started_ = false;
  bool destroying_ = false;
  // Inside OnData: writes collect here and leave in one write at its end.
  bool batching_ = false;
  std::string batch_bytes_;
  std::vector<std::string> batch_acks_;
  bool events_paused_ = false;
  uv_timer_t timer_;
  bool timer_init_ = false;

  internal::Backoff backoff_;
  internal::Rng rng_;
  internal::DedupWindow dedup_;
  std::deque<internal::PendingSend> pending_;
  std::unordered_map<std::string, internal::PendingRequest> requests_;
  std::string id_prefix_;
  uint64_t id_counter_ = 0;

  // Deadlines in loop time (ms); 0 = none.
  uint64_t reconnect_at_ = 0;
  uint64_t attempt_deadline_ = 0;
  uint64_t idle_limit_ms_ = 0;
  uint64_t last_rx_ = 0;
  uint64_t goaway_close_at_ = 0;
  int64_t goaway_delay_ = -1;     // reconnect delay the server asked for
  uint64_t active_since_ = 0;     // loop time of the current session's welcome
  uint64_t max_frame_bytes_ = 0;  // from welcome
  std::string disconnect_reason_;
  ClientStats stats_;
};

}  // namespace sealpost
