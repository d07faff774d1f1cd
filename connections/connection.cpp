#include "connections/connection.h"

#include "connections/client_check.h"
#include "connections/handshake_responder.h"
#include "connections/loop_context.h"
#include "connections/peer_address.h"
#include "connections/transport_frame.h"
#include "crypto/random_buffer.h"
#include "shared/log.h"
#include "shared/protocol.h"

namespace sp::connections {

Connection::Connection(LoopContext& ctx, uint64_t id)
    : ctx_(ctx),
      id_(id),
      liveness_(ctx.NowMs()),
      decoder_(HandshakeFrameBytes(ctx.settings.bounds)) {
  tcp_.data = this;
  wheel_.owner = this;
}

Connection::~Connection() = default;

void Connection::Start() {
  liveness_.HandshakeStarted(ctx_.NowMs());
  uv_tcp_nodelay(&tcp_, 1);
  StartReading();
  if (log::Enabled(log::Level::Debug))
    log::Debug("conn.accepted", {{"conn", id_}, {"peer", Peer()}});
  Reschedule();
}

void Connection::Park() {
  state_ = ConnState::WaitingForSlot;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
  liveness_.HandshakeStarted(ctx_.NowMs());  // the wait has a deadline of its own
  Reschedule();
}

void Connection::ResumeHandshake(const std::string& first_frame) {
  state_ = ConnState::Accepted;
  in_handshake_ = true;
  liveness_.HandshakeStarted(ctx_.NowMs());  // time spent waiting does not count
  StartReading();
  OnHandshakeFrame(first_frame);
  ProcessFrames();  // whatever arrived behind message 1
  Reschedule();
}

// ---- Reading ----------------------------------------------------------------

void Connection::StartReading() {
  auto alloc = [](uv_handle_t* handle, size_t /*suggested*/, uv_buf_t* buf) {
    *buf = static_cast<Connection*>(handle->data)->ctx_.ReadBuffer();
  };
  uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), alloc, &Connection::OnRead);
}

void Connection::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<Connection*>(stream->data);
  if (nread == 0) return;
  if (nread < 0) {
    self->Close(nread == UV_EOF ? "peer closed" : uv_strerror(static_cast<int>(nread)));
    return;
  }
  if (self->state_ == ConnState::Closing) return;
  self->liveness_.Received(self->ctx_.NowMs());
  // Nothing is counted under a client's name before the registry accepted it.
  if (self->session_) {
    self->ctx_.services.usage.Add(self->session_->client, services::Counter::BytesIn,
                                  static_cast<uint64_t>(nread));
  }
  self->decoder_.Feed(std::string_view(buf->base, static_cast<size_t>(nread)));
  self->ProcessFrames();
}

void Connection::ProcessFrames() {
  std::string_view frame;
  // A handler may have closed the connection, or parked it: stop at once.
  while (state_ != ConnState::Closing && state_ != ConnState::WaitingForSlot) {
    proto::FrameStatus status = decoder_.Next(&frame);
    if (status == proto::FrameStatus::NeedMore) return;
    if (status == proto::FrameStatus::TooLarge) {
      Fail({proto::error_code::kFrameTooLarge,
            "frame exceeds " + std::to_string(decoder_.MaxFrameBytes()) + " bytes"});
      return;
    }
    OnFrame(frame);
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
    case ConnState::WaitingForSlot:
    case ConnState::Closing:
      return;
  }
}

void Connection::OnTransportFrame(std::string_view frame) {
  std::string_view json;
  switch (OpenFrame(ctx_, transport_, frame, &json)) {
    case OpenResult::Ok:
      ctx_.on_message(ctx_, *this, json);
      return;
    case OpenResult::NotBase64:
      Fail({proto::error_code::kBadFrame, "transport frame is not valid base64"});
      return;
    case OpenResult::Rejected:
      // Tampered, replayed, reordered or dropped: the channel cannot continue.
      log::Warn("conn.decrypt_failed", {{"conn", id_}, {"peer", Peer()}});
      Close("decrypt failed");
      return;
  }
}

// ---- Handshake ----------------------------------------------------------------

// Drives the pure HandshakeResponder (docs/PROTOCOL.md §2), then the registry check.
void Connection::OnHandshakeFrame(std::string_view frame) {
  // An idle socket holds no slot: one is taken only once message 1 is here.
  if (!in_handshake_) {
    if (!ctx_.events->AdmitHandshake(*this, frame)) return;  // parked, or refused
    in_handshake_ = true;
    liveness_.HandshakeStarted(ctx_.NowMs());
  }
  if (!handshake_)
    handshake_ = std::make_unique<HandshakeResponder>(
        ctx_.server_key, ctx_.settings.bounds.max_handshake_payload_bytes);
  HandshakeResponder::Step step = handshake_->OnFrame(frame);
  switch (step.kind) {
    case HandshakeResponder::StepKind::Fail:
      if (step.code == proto::error_code::kHandshakeFailed) ctx_.stats.handshake_failures++;
      Fail({step.code, std::move(step.message)});
      return;
    case HandshakeResponder::StepKind::Reply:
      state_ = ConnState::ResponseSent;
      WriteFrame(step.frame);
      return;
    case HandshakeResponder::StepKind::Authenticate:
      break;
  }
  has_transport_ = handshake_->TakeTransport(&transport_);
  handshake_.reset();
  state_ = ConnState::Authenticating;
  StartSession(std::move(step.client), std::move(step.remote_pk));
}

namespace {

// 56 random bits: unique enough to tell sessions of one client apart. From
// the buffered CSPRNG: no system call per session (crypto/random_buffer.h).
uint64_t NewSessionId() {
  uint64_t id = 0;
  crypto::RandomBytes(&id, 7);
  return id;
}

}  // namespace

// The claimed id is a claim until the registry holds the same key. One script
// checks that and, only then, starts the session (services/session_start.h):
// for a refused client nothing is written under the claimed id.
void Connection::StartSession(std::string client, std::string remote_pk) {
  LoopContext* ctx = &ctx_;
  uint64_t id = id_;
  uint64_t session_id = NewSessionId();
  services::SessionStartRequest request{client, remote_pk, Session::IdText(session_id),
                                        proto::NowMs(), ctx_.settings.bounds.inflight_window};
  ctx_.starting.Add(client, session_id);
  ctx_.services.session_start.Start(
      request, [ctx, id, client, remote_pk, session_id](services::SessionStartReply reply) {
        SessionFence fence = ctx->starting.Take(client, session_id);
        Connection* conn = ctx->table.Find(id);  // it may have gone while Redis answered
        if (conn == nullptr || conn->State() != ConnState::Authenticating) {
          if (reply.started) ctx->events->OnStartAbandoned(client, session_id, reply.start);
          return;
        }
        // The script applies the same rules; the verdict (and its error) is made here.
        ClientVerdict verdict = CheckClient(reply.record, remote_pk);
        if (reply.started && !verdict.accepted)
          ctx->events->OnStartAbandoned(client, session_id, reply.start);
        if (verdict.accepted && !reply.started) verdict = UnavailableVerdict();
        if (verdict.counts_as_handshake_failure) ctx->stats.handshake_failures++;
        if (!verdict.accepted) {
          conn->Fail({verdict.code, std::string(verdict.message)});
          return;
        }
        conn->Activate(client, KeyTag(remote_pk), session_id, fence, std::move(reply));
      });
}

void Connection::Activate(std::string client, uint64_t key_tag, uint64_t session_id,
                          SessionFence fence, services::SessionStartReply reply) {
  const Settings& settings = ctx_.settings;
  const services::ClientRecord& record = reply.record;
  state_ = ConnState::Active;
  LeaveHandshake();
  session_ = std::make_unique<Session>(std::move(client), key_tag, *this);
  session_->session_id = session_id;
  session_->fence = fence;
  session_->SetQuota(settings.bounds, record.quota, ctx_.NowMs());
  if (!session_->SetPolicy(settings.messaging.defaults, record.direct_policy, record.group_policy))
    log::Warn("client.bad_policy", {{"client", session_->client}});
  decoder_.RaiseMaxFrameBytes(settings.bounds.max_frame_bytes);
  // Names the session, replaces an older one, and judges its epoch.
  ctx_.events->OnAuthenticated(*this, reply.start);
  if (!IsActive()) return;  // a newer session of the client was announced meanwhile
  SendMessage(proto::Serialize(session_->Welcome(settings)));
  if (log::Enabled(log::Level::Info))
    log::Info("session.started", {{"conn", id_}, {"peer", Peer()}, {"client", session_->client}});
  uint64_t now = ctx_.NowMs();
  liveness_.SessionStarted(now, settings.timings);
  rate_.Fill(settings.bounds.client_rate_per_s, now);
  Reschedule();
  if (reply.claimed)
    session_->delivery.StartWith(std::move(reply.claim));
  else
    session_->delivery.Restart();  // the script's claim failed: claim again by itself
}

// ---- Deadlines ------------------------------------------------------------------

uint64_t Connection::Epoch() const {
  return session_ ? session_->fence.Epoch() : 0;
}

// The announcement of the newer session may be late or lost (the
// subscriber link was down); the fence in Redis said it already.
void Connection::Superseded() {
  if (!IsActive()) return;
  log::Info("session.replaced", {{"client", Client()}, {"by", "epoch_fence"}});
  Fail({proto::error_code::kReplaced, "a newer session for this client started"});
}

void Connection::Reschedule() {
  if (state_ == ConnState::Closing) return;
  uint64_t due = liveness_.NextDueMs(ctx_.settings.timings);
  if (session_) due = std::min(due, session_->delivery.NextDueMs());
  ctx_.wheel.Schedule(&wheel_, due);
}

void Connection::OnWake(uint64_t now) {
  // A last error that could not be flushed in time: close hard.
  if (state_ == ConnState::Closing) return CloseHandle();
  Liveness::Verdict verdict = liveness_.Check(now, ctx_.settings.timings);
  if (verdict == Liveness::Verdict::PingDue) {
    SendMessage(proto::Serialize(proto::Ping{.ts = proto::NowMs()}));
    liveness_.PingSent(now, ctx_.settings.timings);
  } else if (verdict != Liveness::Verdict::Fine) {
    Fail({proto::error_code::kTimeout, std::string(Liveness::Describe(verdict))});
    return;
  }
  if (session_) {
    session_->delivery.OnTimer(now);
    if (state_ == ConnState::Closing) return;
  }
  Reschedule();
}

bool Connection::TakeToken() {
  return rate_.Take(ctx_.settings.bounds.client_rate_per_s, ctx_.NowMs());
}

void Connection::OnPong() {
  liveness_.PongReceived(ctx_.NowMs());
}

// ---- Writing ----------------------------------------------------------------

std::string* Connection::OutboxBuffer() {
  bool created = false;
  std::string* buffer = outbox_.Buffer(ctx_.buffers, &created);
  if (created) ctx_.to_flush.push_back(id_);
  return buffer;
}

void Connection::WriteFrame(std::string_view payload) {
  if (!close_started_) proto::AppendFrame(payload, OutboxBuffer());
}

// Encrypts straight into the outbox (no copy of the frame).
bool Connection::SendMessage(const std::string& json) {
  if (!has_transport_ || close_started_) return false;
  if (json.size() > crypto::Transport::MaxPlaintext()) return false;
  if (SealFrame(ctx_, transport_, json, OutboxBuffer()) == SealResult::NonceExhausted) {
    Close("nonce exhausted");
    return false;
  }
  return true;
}

void Connection::Flush() {
  if (uv_is_closing(reinterpret_cast<uv_handle_t*>(&tcp_))) {
    outbox_.Discard(ctx_.buffers);
    return;
  }
  size_t written = 0;
  std::string why;
  auto* stream = reinterpret_cast<uv_stream_t*>(&tcp_);
  if (!outbox_.Flush(stream, ctx_.buffers, ctx_.settings.bounds.max_write_queue_bytes,
                     &OnWriteError, &written, &why)) {
    Close(why);
    return;
  }
  if (session_ && written > 0)
    ctx_.services.usage.Add(session_->client, services::Counter::BytesOut, written);
}

void Connection::OnWriteError(uv_stream_t* stream, int status) {
  auto* self = static_cast<Connection*>(stream->data);
  if (self->state_ != ConnState::Closing) self->Close(uv_strerror(status));
}

// ---- Closing ----------------------------------------------------------------

void Connection::Fail(const CloseReason& reason) {
  if (close_started_) return;
  ctx_.stats.protocol_errors++;
  if (log::Enabled(log::Level::Info))  // Peer() is a system call: only when logged
    log::Info("conn.error", {{"conn", id_},
                             {"peer", Peer()},
                             {"client", Client()},
                             {"code", reason.code},
                             {"reason", reason.message}});
  bool retry = reason.code == proto::error_code::kServerBusy ||
               reason.code == proto::error_code::kUnavailable;
  std::string json = proto::Serialize(proto::MakeError(reason.code, reason.message, retry));
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
    CloseHandle();
    return;
  }
  ctx_.wheel.Schedule(&wheel_, ctx_.NowMs() + ctx_.settings.timings.close_grace_ms);
}

void Connection::OnShutdown(uv_shutdown_t* req, int /*status*/) {
  auto* self = static_cast<Connection*>(req->handle->data);
  delete req;
  self->CloseHandle();
}

void Connection::Close(std::string_view why) {
  if (uv_is_closing(reinterpret_cast<uv_handle_t*>(&tcp_))) return;
  if (log::Enabled(log::Level::Debug))
    log::Debug("conn.closed",
               {{"conn", id_}, {"peer", Peer()}, {"client", Client()}, {"reason", why}});
  close_started_ = true;
  Finish();
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), &Connection::OnClosed);
}

void Connection::CloseHandle() {
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&tcp_)))
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), &Connection::OnClosed);
}

// Leaves every shared structure at once; the memory goes in OnClosed.
void Connection::Finish() {
  if (state_ == ConnState::Closing) return;
  state_ = ConnState::Closing;
  LeaveHandshake();
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
  ctx_.wheel.Cancel(&wheel_);
  ctx_.events->OnClosing(*this);
  handshake_.reset();
}

void Connection::LeaveHandshake() {
  if (!in_handshake_) return;
  in_handshake_ = false;
  ctx_.events->OnHandshakeEnded(*this);
}

void Connection::OnClosed(uv_handle_t* handle) {
  auto* self = static_cast<Connection*>(handle->data);
  // Fail() may have armed the close deadline: the wheel must forget us first.
  self->ctx_.wheel.Cancel(&self->wheel_);
  self->ctx_.events->OnClosed(*self);
}

}  // namespace sp::connections
