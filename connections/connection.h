// One Connection per accepted socket: frames -> Noise -> messages -> dispatch.
// The object owns its uv_tcp_t and is freed only in the handle's close
// callback (libuv rule); asynchronous callbacks find it again by id, never
// by pointer. It reports upward only through ConnectionEvents.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "connections/delivery.h"
#include "connections/liveness.h"
#include "connections/outbox.h"
#include "connections/peer_address.h"
#include "connections/session.h"
#include "connections/session_fence.h"
#include "connections/timer_wheel.h"
#include "crypto/sealpost_noise.h"
#include "services/session_start.h"
#include "shared/frame_decoder.h"
#include "shared/token_bucket.h"

namespace sp::connections {

struct LoopContext;
class HandshakeResponder;

enum class ConnState : uint8_t {
  Accepted,        // waiting for handshake message 1 (holds no handshake slot)
  WaitingForSlot,  // message 1 arrived, no slot free: parked, not reading
  ResponseSent,    // message 2 written, waiting for message 3
  Authenticating,  // message 3 consumed, session start script under way
  Active,          // welcome sent; messages flow
  Closing,         // no more input; freed in the close callback
};

// Why a connection ends; `code` is sent in an error message when it can be.
struct CloseReason {
  std::string_view code;
  std::string message;
};

class Connection final : public DeliveryOutlet {
 public:
  Connection(LoopContext& ctx, uint64_t id);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  uv_tcp_t* Handle() { return &tcp_; }
  ConnState State() const { return state_; }
  Session* GetSession() { return session_.get(); }
  // "ip:port", looked up when a log line needs it (a system call): text kept
  // per connection would cost every idle connection 32 bytes or more.
  std::string Peer() const { return PeerText(&tcp_); }

  // After uv_accept and admission: starts reading; message 1 is due within
  // the handshake timeout.
  void Start();
  // Message 1 found no free handshake slot: stop reading and wait (with a
  // deadline) until ResumeHandshake hands the frame back with a slot.
  void Park();
  void ResumeHandshake(const std::string& first_frame);
  // The source (PeerAddress::SourceKey) that per-address limits count.
  uint64_t Source() const { return source_; }
  void SetSource(uint64_t source) { source_ = source; }

  // ---- DeliveryOutlet (and handlers) ------------------------------------------
  LoopContext& Context() override { return ctx_; }
  uint64_t Id() const override { return id_; }
  const std::string& Client() const override {
    static const std::string kNone;  // before authentication there is no client
    return session_ ? session_->client : kNone;
  }
  bool IsActive() const override { return state_ == ConnState::Active; }
  // Encrypts and queues one message (Active only). False if it could not be queued.
  bool SendMessage(const std::string& json) override;
  bool HasUnsentOutput() override {
    return !outbox_.Empty() ||
           uv_stream_get_write_queue_size(reinterpret_cast<uv_stream_t*>(&tcp_)) > 0;
  }
  void Reschedule() override;
  uint64_t Epoch() const override;
  void Superseded() override;

  // Takes one token of the client's message rate; false when it is used up.
  [[nodiscard]] bool TakeToken();
  void OnPong();

  // Writes everything queued since the last flush (one system call).
  void Flush();
  // Sends an error (encrypted once a transport exists, else plaintext) and closes.
  void Fail(const CloseReason& reason);
  // Closes without a message (peer gone, shutdown).
  void Close(std::string_view why);
  // Wheel callback: checks every deadline and re-arms the next one.
  void OnWake(uint64_t now_ms);
  WheelEntry* Wheel() { return &wheel_; }

 private:
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnWriteError(uv_stream_t* stream, int status);
  static void OnShutdown(uv_shutdown_t* req, int status);
  static void OnClosed(uv_handle_t* handle);

  void StartReading();
  void ProcessFrames();
  void OnFrame(std::string_view frame);
  void OnHandshakeFrame(std::string_view frame);
  void StartSession(std::string client, std::string remote_pk);
  void Activate(std::string client, uint64_t key_tag, uint64_t session_id, SessionFence fence,
                services::SessionStartReply reply);
  void OnTransportFrame(std::string_view frame);
  void WriteFrame(std::string_view payload);
  std::string* OutboxBuffer();
  void LeaveHandshake();
  void CloseHandle();  // uv_close once; the object is freed in OnClosed
  void Finish();

  uv_tcp_t tcp_;
  LoopContext& ctx_;
  uint64_t id_;
  uint64_t source_ = 0;
  ConnState state_ = ConnState::Accepted;
  bool close_started_ = false;
  bool in_handshake_ = false;  // holds one of the hub's handshake slots
  bool has_transport_ = false;
  WheelEntry wheel_;
  Liveness liveness_;
  TokenBucket rate_;
  proto::FrameDecoder decoder_;
  std::unique_ptr<HandshakeResponder> handshake_;  // only until the handshake ends
  crypto::Transport transport_;
  std::unique_ptr<Session> session_;  // only once the registry accepted the client
  Outbox outbox_;
};

}  // namespace sp::connections
