// Connection side of the handshake: drives the pure HandshakeResponder, then
// checks the claimed client id against the registry (docs/PROTOCOL.md §2).
#include "connections/connection.h"
#include "connections/handshake_responder.h"
#include "connections/hub.h"
#include "shared/log.h"
#include "shared/protocol.h"

namespace sp::connections {

void Connection::OnHandshakeFrame(std::string_view frame) {
  if (!handshake_) handshake_ = std::make_unique<HandshakeResponder>(hub_.ServerKey());
  HandshakeResponder::Step step = handshake_->OnFrame(frame);
  switch (step.kind) {
    case HandshakeResponder::StepKind::Fail:
      if (step.code == proto::error_code::kHandshakeFailed) hub_.Stats().handshake_failures++;
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
  // The session exists from here on; it becomes active once the registry agrees.
  session_ = std::make_unique<Session>();
  session_->client = step.client;
  uint64_t id = id_;
  Hub* hub = &hub_;
  std::string remote_pk = std::move(step.remote_pk);
  hub_.Services().registry.Lookup(step.client, [hub, id, remote_pk](services::ClientRecord rec) {
    Connection* conn = hub->Find(id);  // it may have gone while Redis answered
    if (conn == nullptr || conn->State() != ConnState::Authenticating) return;
    if (rec.status == services::ClientRecord::Status::Unavailable) {
      conn->Fail({proto::error_code::kUnavailable, "client registry unavailable, retry later"});
      return;
    }
    bool key_matches =
        rec.status == services::ClientRecord::Status::Found && rec.pk.size() == remote_pk.size() &&
        crypto::ConstantTimeEqual(crypto::AsBytes(rec.pk), crypto::AsBytes(remote_pk));
    conn->OnClientLookup(key_matches, rec.disabled);
  });
}

// `key_matches` is true only when the registered key equals the handshake's key.
void Connection::OnClientLookup(bool key_matches, bool disabled) {
  if (!key_matches) {
    hub_.Stats().handshake_failures++;
    // One answer for "no such client" and "different key": no probing for ids.
    Fail({proto::error_code::kUnknownClient, "client not provisioned with this key"});
    return;
  }
  if (disabled) {
    Fail({proto::error_code::kClientDisabled, "client is disabled"});
    return;
  }
  state_ = ConnState::Active;
  LeaveHandshake();
  hub_.BindClient(this);
  proto::Welcome welcome;
  welcome.client = session_->client;
  welcome.node = hub_.GetLimits().node;
  welcome.session = session_->session_id;
  welcome.heartbeat_ms = static_cast<int64_t>(hub_.GetLimits().heartbeat_interval_ms);
  welcome.window = hub_.GetLimits().inflight_window;
  welcome.max_frame_bytes = static_cast<int64_t>(hub_.GetLimits().max_frame_bytes);
  welcome.ts = proto::NowMs();
  SendMessage(proto::Serialize(welcome));
  if (log::Enabled(log::Level::Info))
    log::Info("session.started", {{"conn", id_}, {"peer", Peer()}, {"client", session_->client}});
  uint64_t now = hub_.NowMs();
  last_pong_ms = now;
  next_ping_ms = now + hub_.GetLimits().heartbeat_interval_ms;
  tokens_milli = 2ull * hub_.GetLimits().client_rate_per_s * 1000;
  tokens_at_ms = now;
  Reschedule();
  hub_.StartDelivery(this);
}

}  // namespace sp::connections
