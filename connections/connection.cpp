#include "connections/connection.h"

#include <cstring>

#include "connections/dispatch.h"
#include "connections/handshake_responder.h"
#include "connections/hub.h"
#include "shared/log.h"
#include "shared/protocol.h"

namespace sp::connections {
namespace {

// A write owns its bytes until libuv calls back (also with UV_ECANCELED).
struct WriteRequest {
  uv_write_t req;
  std::string bytes;
};

constexpr uint64_t kCloseGraceMs = 2000;  // bound on flushing a last error

}  // namespace

Connection::Connection(Hub& hub, uint64_t id, uint64_t now_ms)
    : hub_(hub), id_(id), handshake_started_ms_(now_ms), decoder_(hub.GetLimits().max_frame_bytes) {
  tcp_.data = this;
  wheel_.owner = this;
  last_rx_ms = now_ms;
}

Connection::~Connection() = default;

// Computed when a log line needs it: keeping the text would cost every idle
// connection 32 bytes or more.
std::string Connection::Peer() const {
  sockaddr_storage addr{};
  int len = sizeof addr;
  if (uv_tcp_getpeername(&tcp_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "?";
  char host[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (addr.ss_family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&addr);
    uv_ip4_name(in, host, sizeof host);
    port = ntohs(in->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&addr);
    uv_ip6_name(in6, host, sizeof host);
    port = ntohs(in6->sin6_port);
  }
  return std::string(host) + ":" + std::to_string(port);
}

void Connection::Start() {
  in_handshake_ = true;
  handshake_started_ms_ = hub_.NowMs();  // time spent waiting for a slot does not count
  uv_tcp_nodelay(&tcp_, 1);
  uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), &Connection::OnAlloc, &Connection::OnRead);
  if (log::Enabled(log::Level::Debug))
    log::Debug("conn.accepted", {{"conn", id_}, {"peer", Peer()}});
  Reschedule();
}

// ---- Reading ----------------------------------------------------------------

// Every connection reads into the hub's one buffer: frames are handled before
// OnRead returns and only an unterminated tail is copied, so an idle
// connection holds no receive buffer at all.
void Connection::OnAlloc(uv_handle_t* handle, size_t /*suggested*/, uv_buf_t* buf) {
  auto* self = static_cast<Connection*>(handle->data);
  *buf = self->hub_.ReadBuffer();
}

void Connection::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<Connection*>(stream->data);
  if (nread == 0) return;
  if (nread < 0) {
    self->Close(nread == UV_EOF ? "peer closed" : uv_strerror(static_cast<int>(nread)));
    return;
  }
  if (self->state_ == ConnState::Closing) return;
  self->last_rx_ms = self->hub_.NowMs();
  if (self->session_) {
    self->hub_.Services().usage.Add(self->session_->client, services::Counter::BytesIn,
                                    static_cast<uint64_t>(nread));
  }
  self->decoder_.Feed(std::string_view(buf->base, static_cast<size_t>(nread)));
  std::string_view frame;
  for (;;) {
    // A handler may have closed the connection: stop at once.
    if (self->state_ == ConnState::Closing) return;
    proto::FrameStatus status = self->decoder_.Next(&frame);
    if (status == proto::FrameStatus::NeedMore) return;
    if (status == proto::FrameStatus::TooLarge) {
      self->Fail({proto::error_code::kFrameTooLarge,
                  "frame exceeds " + std::to_string(self->decoder_.MaxFrameBytes()) + " bytes"});
      return;
    }
    self->OnFrame(frame);
  }
}

void Connection::OnFrame(std::string_view frame) {
  switch (state_) {
    case ConnState::Accepted:
    case ConnState::ResponseSent:
      OnHandshakeFrame(frame);
      return;
    case ConnState::Authenticating:
      // The client must wait for welcome; anything earlier is a protocol error.
      Fail({proto::error_code::kBadMessage, "message before welcome"});
      return;
    case ConnState::Active:
      OnTransportFrame(frame);
      return;
    case ConnState::Closing:
      return;
  }
}

void Connection::OnTransportFrame(std::string_view frame) {
  size_t cap = frame.size() / 4 * 3 + 3;
  uint8_t* cipher = hub_.Scratch(cap * 2);
  uint8_t* plain = cipher + cap;
  size_t cipher_len = 0;
  if (!crypto::Base64DecodeInto(frame, cipher, cap, &cipher_len) ||
      cipher_len < crypto::Transport::Overhead()) {
    Fail({proto::error_code::kBadFrame, "transport frame is not valid base64"});
    return;
  }
  if (!transport_.Decrypt({cipher, cipher_len}, plain)) {
    // Tampered, replayed, reordered or dropped: the channel cannot continue.
    log::Warn("conn.decrypt_failed", {{"conn", id_}, {"peer", Peer()}});
    Close("decrypt failed");
    return;
  }
  std::string_view json(reinterpret_cast<const char*>(plain),
                        cipher_len - crypto::Transport::Overhead());
  Dispatch(hub_, *this, json);
}

// ---- Writing ----------------------------------------------------------------

// Frames queue in a per-connection outbox that the hub flushes once per loop
// iteration (Hub::OnCheck): a burst of events becomes one write system call.
// The outbox exists only while it holds bytes.
std::string* Connection::Outbox() {
  if (!outbox_) {
    outbox_ = std::make_unique<std::string>();
    hub_.MarkForFlush(this);
  }
  return outbox_.get();
}

bool Connection::WriteFrame(std::string_view payload) {
  if (close_started_) return false;
  proto::AppendFrame(payload, Outbox());
  return true;
}

void Connection::Flush() {
  if (!outbox_ || outbox_->empty() || uv_is_closing(reinterpret_cast<uv_handle_t*>(&tcp_))) {
    outbox_.reset();
    return;
  }
  auto* stream = reinterpret_cast<uv_stream_t*>(&tcp_);
  if (uv_stream_get_write_queue_size(stream) > hub_.GetLimits().max_write_queue_bytes) {
    outbox_.reset();
    Close("write queue over limit (slow reader)");
    return;
  }
  std::unique_ptr<std::string> bytes = std::move(outbox_);
  if (session_) {
    hub_.Services().usage.Add(session_->client, services::Counter::BytesOut, bytes->size());
  }
  // Most writes complete at once. uv_try_write needs no request and, unlike a
  // completed uv_write, does not re-register the socket with epoll afterwards.
  uv_buf_t buf = uv_buf_init(bytes->data(), static_cast<unsigned>(bytes->size()));
  int rc = uv_try_write(stream, &buf, 1);
  if (rc == static_cast<int>(bytes->size())) return;
  if (rc < 0 && rc != UV_EAGAIN) {
    Close(uv_strerror(rc));
    return;
  }
  auto* w = new WriteRequest;
  w->bytes.assign(*bytes, rc > 0 ? static_cast<size_t>(rc) : 0);
  w->req.data = w;
  buf = uv_buf_init(w->bytes.data(), static_cast<unsigned>(w->bytes.size()));
  rc = uv_write(&w->req, stream, &buf, 1, &Connection::OnWriteDone);
  if (rc != 0) {
    delete w;
    Close(uv_strerror(rc));
  }
}

void Connection::OnWriteDone(uv_write_t* req, int status) {
  auto* w = static_cast<WriteRequest*>(req->data);
  auto* self = static_cast<Connection*>(req->handle->data);
  delete w;
  if (status < 0 && status != UV_ECANCELED && self->state_ != ConnState::Closing) {
    self->Close(uv_strerror(status));
  }
}

// Encrypts straight into the outbox: scratch ciphertext, base64 appended, 0x00.
bool Connection::SendMessage(const std::string& json) {
  if (!has_transport_ || close_started_) return false;
  if (json.size() > crypto::Transport::MaxPlaintext()) return false;
  size_t cipher_len = json.size() + crypto::Transport::Overhead();
  uint8_t* cipher = hub_.Scratch(cipher_len);
  if (!transport_.Encrypt(crypto::AsBytes(json), cipher)) {
    Close("nonce exhausted");
    return false;
  }
  std::string* out = Outbox();
  crypto::Base64EncodeAppend({cipher, cipher_len}, out);
  out->push_back('\0');
  return true;
}

// ---- Closing ----------------------------------------------------------------

void Connection::Fail(const CloseReason& reason) {
  if (close_started_) return;
  hub_.Stats().protocol_errors++;
  if (log::Enabled(log::Level::Info))  // Peer() is a system call: only when logged
    log::Info("conn.error", {{"conn", id_},
                             {"peer", Peer()},
                             {"client", session_ ? session_->client : std::string()},
                             {"code", reason.code},
                             {"reason", reason.message}});
  proto::Error err;
  err.code = std::string(reason.code);
  err.message = reason.message;
  err.ts = proto::NowMs();
  std::string json = proto::Serialize(err);
  if (has_transport_)
    SendMessage(json);
  else
    WriteFrame(json);
  Flush();
  // Flush may have closed a connection whose output was over its limit.
  if (uv_is_closing(reinterpret_cast<uv_handle_t*>(&tcp_))) return;
  // Let the error reach the peer, then close: shutdown waits for the write.
  close_started_ = true;
  Finish();
  auto* req = new uv_shutdown_t;
  if (uv_shutdown(req, reinterpret_cast<uv_stream_t*>(&tcp_), &Connection::OnShutdown) != 0) {
    delete req;
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), &Connection::OnClosed);
    return;
  }
  close_deadline_ms_ = hub_.NowMs() + kCloseGraceMs;
  hub_.Wheel().Schedule(&wheel_, close_deadline_ms_);
}

void Connection::OnShutdown(uv_shutdown_t* req, int /*status*/) {
  auto* self = static_cast<Connection*>(req->handle->data);
  delete req;
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&self->tcp_))) {
    uv_close(reinterpret_cast<uv_handle_t*>(&self->tcp_), &Connection::OnClosed);
  }
}

void Connection::Close(std::string_view why) {
  if (uv_is_closing(reinterpret_cast<uv_handle_t*>(&tcp_))) return;
  if (log::Enabled(log::Level::Debug))
    log::Debug("conn.closed", {{"conn", id_},
                               {"peer", Peer()},
                               {"client", session_ ? session_->client : std::string()},
                               {"reason", why}});
  close_started_ = true;
  Finish();
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), &Connection::OnClosed);
}

// Leaves every shared structure at once; the memory goes in OnClosed.
void Connection::Finish() {
  if (state_ == ConnState::Closing) return;
  state_ = ConnState::Closing;
  LeaveHandshake();
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
  hub_.Wheel().Cancel(&wheel_);
  hub_.Forget(this);
  handshake_.reset();
}

void Connection::LeaveHandshake() {
  if (!in_handshake_) return;
  in_handshake_ = false;
  hub_.HandshakeEnded();
}

void Connection::OnClosed(uv_handle_t* handle) {
  auto* self = static_cast<Connection*>(handle->data);
  // Fail() may have armed the close deadline: the wheel must forget us first.
  self->hub_.Wheel().Cancel(&self->wheel_);
  self->hub_.FreeConnection(self);
}

}  // namespace sp::connections
