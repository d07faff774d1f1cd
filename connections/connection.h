// One Connection per accepted socket: frames -> Noise -> messages -> handlers.
// The object owns its uv_tcp_t and is freed only in the handle's close
// callback (libuv rule); Redis callbacks find it again by id, never by pointer.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "connections/timer_wheel.h"
#include "crypto/sealpost_noise.h"
#include "services/stream_entry.h"
#include "shared/frame_decoder.h"
#include "shared/messages.h"

namespace sp::connections {

class Hub;
class HandshakeResponder;

enum class ConnState : uint8_t {
  Accepted,        // waiting for handshake message 1
  ResponseSent,    // message 2 written, waiting for message 3
  Authenticating,  // message 3 consumed, registry lookup under way
  Active,          // welcome sent; messages flow
  Closing,         // no more input; freed in the close callback
};

// An event sent and not yet acknowledged.
struct Inflight {
  services::StreamEntry entry;
  uint32_t attempt = 1;
  uint64_t due_ms = 0;  // resend (or dead-letter) when no ack by then
};

// State that exists only for an authenticated client.
struct Session {
  std::string client;
  std::string session_id;
  int64_t started_ms = 0;          // wall clock, to order sessions across nodes
  std::vector<Inflight> inflight;  // in stream order, at most inflight_window
  std::string claim_cursor = "0-0";
  bool pending_exhausted = false;  // the pending list was fully claimed
  bool reading = false;            // one Redis read at a time per session
  bool read_again = false;         // news arrived while reading
  bool has_new = true;             // the stream may hold undelivered entries
};

// Why a connection ends; `code` is sent in an error message when it can be.
struct CloseReason {
  std::string_view code;
  std::string message;
};

class Connection {
 public:
  Connection(Hub& hub, uint64_t id, uint64_t now_ms);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  uv_tcp_t* Handle() { return &tcp_; }
  uint64_t Id() const { return id_; }
  ConnState State() const { return state_; }
  Session* GetSession() { return session_.get(); }
  std::string Peer() const;  // "ip:port", looked up on demand

  void Start();  // after uv_accept: starts reading and the handshake deadline

  // ---- Called by handlers and the hub -------------------------------------
  // Encrypts and writes one message (Active only). False if it could not be queued.
  bool SendMessage(const std::string& json);
  // True while written frames have not all reached the kernel yet.
  bool HasUnsentOutput() {
    return (outbox_ && !outbox_->empty()) ||
           uv_stream_get_write_queue_size(reinterpret_cast<uv_stream_t*>(&tcp_)) > 0;
  }
  // Writes everything queued since the last flush (one system call).
  void Flush();
  // Sends an error (encrypted once a transport exists, else plaintext) and closes.
  void Fail(const CloseReason& reason);
  // Closes without a message (peer gone, shutdown).
  void Close(std::string_view why);
  // Wheel callback: checks every deadline and re-arms the next one.
  void OnWake(uint64_t now_ms);
  void Reschedule();
  WheelEntry* Wheel() { return &wheel_; }

  // Registry answer for the client id claimed in handshake message 3.
  void OnClientLookup(bool key_matches, bool disabled);

  uint64_t last_rx_ms = 0;
  uint64_t last_pong_ms = 0;
  uint64_t next_ping_ms = 0;
  // Token bucket for client messages (scaled by 1000 to stay integral).
  uint64_t tokens_milli = 0;
  uint64_t tokens_at_ms = 0;

 private:
  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnWriteDone(uv_write_t* req, int status);
  static void OnShutdown(uv_shutdown_t* req, int status);
  static void OnClosed(uv_handle_t* handle);

  void OnFrame(std::string_view frame);
  void OnHandshakeFrame(std::string_view frame);
  void OnTransportFrame(std::string_view frame);
  bool WriteFrame(std::string_view payload);
  std::string* Outbox();
  void LeaveHandshake();
  void Finish();

  uv_tcp_t tcp_;
  Hub& hub_;
  uint64_t id_;
  ConnState state_ = ConnState::Accepted;
  bool close_started_ = false;
  bool in_handshake_ = false;  // counted in the hub's handshakes in progress
  WheelEntry wheel_;
  uint64_t handshake_started_ms_;  // the handshake deadline counts from here (Start)
  uint64_t close_deadline_ms_ = 0;
  proto::FrameDecoder decoder_;
  std::unique_ptr<HandshakeResponder> handshake_;  // only until the handshake ends
  crypto::Transport transport_;
  bool has_transport_ = false;
  std::unique_ptr<Session> session_;
  std::unique_ptr<std::string> outbox_;  // frames not yet handed to the socket
  friend class Hub;
};

}  // namespace sp::connections
