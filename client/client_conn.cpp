// The wire side of sealpost::Client: TCP, frames, driving the handshake
// (HandshakeInitiator; connections/HandshakeResponder is the other half) and
// the server's messages once the transport is up.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <vector>

#include "client/client_impl.h"
#include "client/trust_files.h"
#include "crypto/bytes.h"
#include "shared/base64.h"
#include "shared/protocol.h"

namespace sealpost {

using internal::Conn;
using internal::Phase;

namespace {

// A write owns its bytes until libuv calls back (also with UV_ECANCELED).
struct WriteRequest {
  uv_write_t req;
  std::string bytes;
  std::vector<std::string> ack_event_ids;  // the acks this write carries
};

// Frames are handled before OnRead returns (the decoder copies only an
// unterminated tail), so all clients on a thread can share one read buffer.
constexpr size_t kReadBufferBytes = 64 * 1024;
thread_local std::vector<char> read_buffer;
thread_local std::vector<uint8_t> scratch;

uint8_t* Scratch(size_t size) {
  if (scratch.size() < size) scratch.resize(size);
  return scratch.data();
}

ClientError Err(std::string_view code, std::string message, bool fatal = false) {
  return {std::string(code), std::move(message), !fatal, fatal, {}, {}};
}

// Server errors after which trying again cannot help. Only an error that
// arrived encrypted, from the authenticated server, may end the client: a
// plaintext one could have been injected by anyone on the path.
bool IsFatal(std::string_view code) {
  namespace ec = sp::proto::error_code;
  return code == ec::kUnknownClient || code == ec::kClientDisabled || code == ec::kRevoked ||
         code == ec::kUnsupportedProtocol;
}

}  // namespace

Conn::Conn(Client::Impl* o) : owner(o), decoder(sp::proto::kDefaultMaxFrameBytes) {}

void Conn::Abandon() {
  owner = nullptr;
  pieces.clear();
  handshake.reset();  // wipes the ephemeral secrets now, not at close time
  auto closed = [](uv_handle_t* h) {
    auto* conn = static_cast<Conn*>(h->data);
    if (--conn->open_handles == 0) delete conn;
  };
  uv_close(reinterpret_cast<uv_handle_t*>(&piece_timer), closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp), closed);
}

// ---- Socket events --------------------------------------------------------------

void Client::Impl::OnConnected(Conn* conn, int status) {
  if (conn != conn_) return;
  if (status != 0) {
    bool refused = status == UV_ECONNREFUSED;
    Fail(Err(refused ? errors::kConnectionRefused : errors::kConnectFailed,
             refused ? "connection refused" : uv_strerror(status)));
    return;
  }
  uv_tcp_nodelay(&conn->tcp, 1);
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&conn->tcp),
      [](uv_handle_t*, size_t, uv_buf_t* buf) {
        if (read_buffer.empty()) read_buffer.resize(kReadBufferBytes);
        *buf = uv_buf_init(read_buffer.data(), kReadBufferBytes);
      },
      [](uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
        auto* c = static_cast<Conn*>(stream->data);
        if (c->owner == nullptr || nread == 0) return;
        if (nread < 0)
          c->owner->OnReadError(c, static_cast<int>(nread));
        else
          c->owner->OnData(c, {buf->base, static_cast<size_t>(nread)});
      });
  conn->handshake =
      std::make_unique<HandshakeInitiator>(options_.protocol, *key_, options_.client_id, pinned_);
  std::string frame1;
  if (conn->handshake->Start(&frame1) != HandshakeInitiator::Result::Ok) {
    Fail(Err(errors::kProtocol, "cannot start the handshake", true));
    return;
  }
  phase_ = Phase::AwaitingMsg2;
  WriteHandshakeFrame(std::move(frame1));
}

void Client::Impl::OnReadError(Conn* conn, int status) {
  if (conn != conn_) return;
  std::string why = status == UV_EOF ? "server closed the connection" : uv_strerror(status);
  if (goaway_close_at_ != 0) why = "server going away";
  Fail(Err(errors::kConnectionLost, why));
}

void Client::Impl::OnData(Conn* conn, std::string_view chunk) {
  if (conn != conn_) return;
  last_rx_ = uv_now(loop_);
  conn->decoder.Feed(chunk);
  // What the frames of this chunk make us send (acks, mostly) leaves in one
  // write at the end rather than one system call per message.
  batching_ = true;
  std::string_view frame;
  while (conn_ == conn) {  // a frame may end this connection
    sp::proto::FrameStatus status = conn->decoder.Next(&frame);
    if (status == sp::proto::FrameStatus::NeedMore) break;
    if (status == sp::proto::FrameStatus::TooLarge) {
      Fail(Err(errors::kProtocol, "frame from server exceeds the size limit"));
      break;
    }
    OnFrame(frame);
  }
  batching_ = false;
  std::string bytes = std::move(batch_bytes_);
  std::vector<std::string> acks = std::move(batch_acks_);
  batch_bytes_.clear();
  batch_acks_.clear();
  if (conn_ == conn && !bytes.empty()) WriteBytes(std::move(bytes), std::move(acks));
}

// ---- Writing ---------------------------------------------------------------------

void Client::Impl::WriteBytes(std::string bytes, std::vector<std::string> ack_event_ids) {
  if (batching_) {
    batch_bytes_ += bytes;
    for (auto& id : ack_event_ids) batch_acks_.push_back(std::move(id));
    return;
  }
  auto* w = new WriteRequest;
  w->bytes = std::move(bytes);
  w->ack_event_ids = std::move(ack_event_ids);
  w->req.data = w;
  uv_buf_t buf = uv_buf_init(w->bytes.data(), static_cast<unsigned>(w->bytes.size()));
  int rc = uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&conn_->tcp), &buf, 1,
                    [](uv_write_t* req, int status) {
                      auto* wr = static_cast<WriteRequest*>(req->data);
                      auto* c = static_cast<Conn*>(req->handle->data);
                      if (c->owner) c->owner->OnWriteDone(wr->ack_event_ids, status);
                      delete wr;
                    });
  if (rc != 0) {
    delete w;
    Fail(Err(errors::kConnectionLost, uv_strerror(rc)));
  }
}

void Client::Impl::OnWriteDone(const std::vector<std::string>& ack_event_ids, int status) {
  if (status < 0) {
    if (status != UV_ECANCELED) Fail(Err(errors::kConnectionLost, uv_strerror(status)));
    return;
  }
  for (const std::string& id : ack_event_ids) {
    if (!callbacks_.on_ack_written || destroying_) return;
    callbacks_.on_ack_written(id);
  }
}

// Handshake frames may be written in pieces with pauses (load tests of the
// server's reassembly); everything else goes out whole.
void Client::Impl::WriteHandshakeFrame(std::string frame) {
  std::string bytes;
  sp::proto::AppendFrame(frame, &bytes);
  unsigned pieces = std::max(1u, options_.split_handshake_pieces);
  if (pieces == 1 || bytes.size() < pieces) {
    WriteBytes(std::move(bytes));
    return;
  }
  size_t step = bytes.size() / pieces;
  for (unsigned i = 0; i < pieces; ++i) {
    size_t from = i * step;
    size_t len = i + 1 == pieces ? bytes.size() - from : step;
    conn_->pieces.push_back(bytes.substr(from, len));
  }
  WriteNextPiece();
}

void Client::Impl::WriteNextPiece() {
  if (conn_ == nullptr || conn_->pieces.empty()) return;
  std::string piece = std::move(conn_->pieces.front());
  conn_->pieces.pop_front();
  Conn* conn = conn_;
  WriteBytes(std::move(piece));
  if (conn_ != conn || conn->pieces.empty()) return;
  uv_timer_start(&conn->piece_timer, &Impl::OnPieceTimer, rng_.Between(0, options_.split_delay_ms),
                 0);
}

void Client::Impl::OnPieceTimer(uv_timer_t* timer) {
  auto* conn = static_cast<Conn*>(timer->data);
  if (conn->owner && conn->owner->conn_ == conn) conn->owner->WriteNextPiece();
}

bool Client::Impl::SendMessage(const std::string& json, std::string ack_event_id) {
  if (conn_ == nullptr || !conn_->has_transport) return false;
  if (json.size() > sp::crypto::Transport::MaxPlaintext()) return false;
  size_t cipher_len = json.size() + sp::crypto::Transport::Overhead();
  uint8_t* cipher = Scratch(cipher_len);
  if (!conn_->transport.Encrypt(sp::crypto::AsBytes(json), cipher)) {
    Fail(Err(errors::kProtocol, "cannot encrypt (nonce exhausted)"));
    return false;
  }
  std::string bytes;
  bytes.reserve((cipher_len + 2) / 3 * 4 + 1);
  sp::wire::Base64Append(cipher, cipher_len, &bytes);
  bytes.push_back('\0');
  Conn* conn = conn_;
  std::vector<std::string> acks;
  if (!ack_event_id.empty()) acks.push_back(std::move(ack_event_id));
  WriteBytes(std::move(bytes), std::move(acks));
  return conn_ == conn;
}

// ---- Handshake --------------------------------------------------------------------

void Client::Impl::OnFrame(std::string_view frame) {
  switch (phase_) {
    case Phase::AwaitingMsg2:
      OnMsg2(frame);
      return;
    case Phase::AwaitingWelcome:
      // Base64 never starts with '{': a JSON frame here is a plaintext error
      // from a server that could not finish the handshake.
      if (!frame.empty() && frame.front() == '{')
        OnPlainFrame(frame);
      else
        OnTransportFrame(frame);
      return;
    case Phase::Active:
      OnTransportFrame(frame);
      return;
    default:
      return;
  }
}

// Message 2 (or the server's plaintext refusal) goes to the initiator, which
// checks a pinned key itself; a key recorded on first use is checked here.
void Client::Impl::OnMsg2(std::string_view frame) {
  using Result = HandshakeInitiator::Result;
  Conn* conn = conn_;
  std::string frame3;
  switch (conn->handshake->OnFrame(frame, &frame3, &conn->transport)) {
    case Result::Ok:
      break;
    case Result::ServerError:  // plaintext, so unauthenticated: never fatal
      Fail(Err(conn->handshake->ErrorCode(), conn->handshake->ErrorMessage()));
      return;
    case Result::ServerKeyMismatch:
      Fail(Err(errors::kServerKeyMismatch, "server key mismatch", /*fatal=*/true));
      return;
    case Result::Rejected:
      Fail(Err(sp::proto::error_code::kHandshakeFailed, "server handshake message rejected"));
      return;
    case Result::Unexpected:
      Fail(Err(errors::kProtocol, "unexpected frame from server during the handshake"));
      return;
    case Result::Failed:
      Fail(Err(sp::proto::error_code::kHandshakeFailed, "cannot complete the handshake"));
      return;
  }
  if (pinned_.empty() && !CheckKnownServer(conn->handshake->ServerKey())) {
    conn->transport = sp::crypto::Transport();  // never used: wipe its keys now
    return;
  }
  conn->handshake.reset();
  conn->has_transport = true;
  // Nothing else may be sent until welcome: the server is checking the registry.
  phase_ = Phase::AwaitingWelcome;
  WriteHandshakeFrame(std::move(frame3));
}

// Trust on first use: the key must be the one recorded for this server, or
// is recorded now. Fails the connection and returns false otherwise.
bool Client::Impl::CheckKnownServer(const std::string& key_b64) {
  std::string detail;
  const std::string label = servers_[server_].label;  // a copy: the callback may restart us
  switch (internal::CheckKnownServer(options_.known_servers_file, label, key_b64, &detail)) {
    case internal::KnownServer::Match:
      return true;
    case internal::KnownServer::Recorded:
      if (callbacks_.on_server_key_recorded && !destroying_)
        callbacks_.on_server_key_recorded(label, key_b64, options_.known_servers_file);
      return conn_ != nullptr;  // the callback may have stopped the client
    case internal::KnownServer::Mismatch:
      Fail(Err(errors::kServerKeyMismatch, "server key mismatch (" + detail + ")", true));
      return false;
    case internal::KnownServer::Failed:
      break;
  }
  Fail(Err(errors::kServerKeyMismatch, detail, /*fatal=*/true));
  return false;
}

// After message 3 the server may still refuse in plaintext (it could not
// finish the handshake); anything else in plaintext is a protocol error.
void Client::Impl::OnPlainFrame(std::string_view frame) {
  auto parsed = sp::proto::ParseServerMessage(frame);
  if (auto* msg = std::get_if<sp::proto::ServerMessage>(&parsed)) {
    if (auto* error = std::get_if<sp::proto::Error>(msg)) {
      OnServerError(*error, /*authenticated=*/false);
      return;
    }
  }
  Fail(Err(errors::kProtocol, "unexpected frame from server during the handshake"));
}

// ---- Transport messages --------------------------------------------------------------

void Client::Impl::OnTransportFrame(std::string_view frame) {
  size_t cap = frame.size() / 4 * 3 + 3;
  uint8_t* cipher = Scratch(cap * 2);
  uint8_t* plain = cipher + cap;
  size_t cipher_len = 0;
  if (!sp::wire::Base64DecodeTo(frame, cipher, cap, &cipher_len) ||
      cipher_len < sp::crypto::Transport::Overhead() ||
      !conn_->transport.Decrypt({cipher, cipher_len}, plain)) {
    Fail(Err(errors::kProtocol, "undecryptable frame from server"));
    return;
  }
  std::string_view json(reinterpret_cast<const char*>(plain),
                        cipher_len - sp::crypto::Transport::Overhead());
  auto parsed = sp::proto::ParseServerMessage(json);
  if (auto* error = std::get_if<sp::proto::ParseError>(&parsed)) {
    Fail(Err(errors::kProtocol, "bad message from server: " + error->ToString()));
    return;
  }
  OnMessage(std::get<sp::proto::ServerMessage>(parsed));
}

void Client::Impl::OnMessage(sp::proto::ServerMessage& message) {
  if (auto* error = std::get_if<sp::proto::Error>(&message)) {
    OnServerError(*error, /*authenticated=*/true);
    return;
  }
  if (phase_ == Phase::AwaitingWelcome) {
    if (auto* welcome = std::get_if<sp::proto::Welcome>(&message))
      OnWelcome(*welcome);
    else
      Fail(Err(errors::kProtocol, "server sent a message before welcome"));
    return;
  }
  if (auto* event = std::get_if<sp::proto::ServerEvent>(&message)) {
    OnServerEvent(*event);
  } else if (auto* ack = std::get_if<sp::proto::ServerAck>(&message)) {
    OnSendAck(ack->id);
  } else if (auto* goaway = std::get_if<sp::proto::Goaway>(&message)) {
    OnGoaway(*goaway);
  } else if (auto* ping = std::get_if<sp::proto::Ping>(&message)) {
    sp::proto::Pong pong;
    pong.ts = sp::proto::NowMs();
    pong.echo = ping->ts;
    SendMessage(sp::proto::Serialize(pong));
  }
  // pong and repeated welcomes need no answer
}

void Client::Impl::OnWelcome(const sp::proto::Welcome& w) {
  phase_ = Phase::Active;
  attempt_deadline_ = 0;
  active_since_ = uv_now(loop_);
  stats_.connects++;
  last_rx_ = uv_now(loop_);
  uint64_t heartbeat = w.heartbeat_ms > 0 ? static_cast<uint64_t>(w.heartbeat_ms) : 5000;
  idle_limit_ms_ =
      options_.idle_timeout_ms ? options_.idle_timeout_ms : std::max<uint64_t>(5000, 3 * heartbeat);
  max_frame_bytes_ = w.max_frame_bytes > 0 ? static_cast<uint64_t>(w.max_frame_bytes) : 0;
  Conn* conn = conn_;
  if (callbacks_.on_connected && !destroying_) {
    callbacks_.on_connected(Welcome{w.client, w.node, w.session, w.heartbeat_ms, w.window,
                                    w.max_frame_bytes, servers_[server_].entry});
  }
  if (conn_ != conn) return;
  FlushSends();
  Arm();
}

void Client::Impl::OnServerEvent(sp::proto::ServerEvent& ev) {
  // Not taken: the server redelivers it after its ack timeout or to the next session.
  if (destroying_ || events_paused_) return;
  bool reply = IsAwaitedReply(ev.event);
  if (!reply && !callbacks_.on_event && !dedup_.Contains(ev.event_id)) return;
  Conn* conn = conn_;
  if (dedup_.Insert(ev.event_id)) {
    stats_.events++;
    Event event{ev.event_id, ev.attempt, ev.ts, std::move(ev.event)};
    bool taken = reply && TakeReply(event);
    if (!taken && callbacks_.on_event) callbacks_.on_event(event);
    if (conn_ != conn) return;  // stopped or dropped inside the callback: redelivered later
  } else {
    stats_.duplicates++;  // its ack may have been lost: acknowledge it again
  }
  sp::proto::ClientAck ack;
  ack.event_id = ev.event_id;
  ack.ts = sp::proto::NowMs();
  SendMessage(sp::proto::Serialize(ack), ev.event_id);
}

void Client::Impl::OnServerError(const sp::proto::Error& error, bool authenticated) {
  if (!authenticated) {  // anyone on the path could have written it: it ends this try only
    Fail(Err(error.code, error.message));
    return;
  }
  if (!error.id.empty()) {
    OnSendError(error);
    return;
  }
  if (!error.event_id.empty()) {
    // Usually the ack of a redelivery the server had already seen acked.
    ReportError({error.code, error.message, false, false, {}, error.event_id});
    return;
  }
  // Anything else ends the connection (the server closes after it).
  Fail(Err(error.code, error.message, IsFatal(error.code)));
}

void Client::Impl::OnGoaway(const sp::proto::Goaway& goaway) {
  // Keep reading (the server drains: acks still count) but send nothing new;
  // the server closes, and we come back after the delay it asked for.
  goaway_delay_ = std::max<int64_t>(0, goaway.reconnect_ms);
  goaway_close_at_ = uv_now(loop_) + 30000;
  Arm();
}

}  // namespace sealpost
