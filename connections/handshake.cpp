// The responder side of the sealpost/1 handshake (docs/PROTOCOL.md):
//   -> {"type":"handshake","protocol":P,"msg":b64(e)}
//   <- {"type":"handshake","msg":b64(e, ee, s, es)}
//   -> {"type":"handshake","msg":b64(s, se, payload {"client":ID})}
// then the registry must hold ID with exactly that static key.
#include <nlohmann/json.hpp>

#include "connections/connection.h"
#include "connections/hub.h"
#include "services/keys.h"
#include "shared/log.h"
#include "shared/protocol.h"

namespace sp::connections {
namespace {

constexpr size_t kMaxHandshakePayload = 1024;

// Message 3's payload: {"client":"<id>"}. Returns "" if malformed.
std::string ClientIdFromPayload(const crypto::Bytes& payload) {
  if (payload.size() > kMaxHandshakePayload) return {};
  auto json = nlohmann::json::parse(payload.begin(), payload.end(), nullptr, false);
  if (!json.is_object()) return {};
  auto it = json.find("client");
  if (it == json.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

}  // namespace

void Connection::OnHandshakeFrame(std::string_view frame) {
  auto parsed = proto::ParseHandshake(frame);
  if (auto* error = std::get_if<proto::ParseError>(&parsed)) {
    Fail({proto::error_code::kBadMessage, "handshake: " + error->ToString()});
    return;
  }
  const proto::Handshake& hs = std::get<proto::Handshake>(parsed);
  crypto::Bytes message;
  if (!crypto::Base64Decode(hs.msg, &message)) {
    Fail({proto::error_code::kBadMessage, "handshake: msg is not valid base64"});
    return;
  }
  if (state_ == ConnState::Accepted) {
    if (!crypto::IsSealpostProtocol(hs.protocol)) {
      Fail({proto::error_code::kUnsupportedProtocol,
            "supported protocols: Noise_XX_25519_AESGCM_SHA256, "
            "Noise_XX_25519_ChaChaPoly_BLAKE2b"});
      return;
    }
    if (crypto::StartHandshake(hs.protocol, /*initiator=*/false, hub_.ServerKey(), &handshake_) !=
        crypto::noise::Status::Ok) {
      Fail({proto::error_code::kUnsupportedProtocol, "protocol unavailable on this server"});
      return;
    }
  }
  crypto::Bytes payload;
  if (handshake_->ReadMessage(message, &payload) != crypto::noise::Status::Ok) {
    hub_.Stats().handshake_failures++;
    Fail({proto::error_code::kHandshakeFailed, "handshake message rejected"});
    return;
  }
  if (state_ == ConnState::Accepted) {
    // -> e consumed; <- e, ee, s, es
    crypto::Bytes response;
    if (handshake_->WriteMessage({}, &response) != crypto::noise::Status::Ok) {
      Fail({proto::error_code::kHandshakeFailed, "could not answer the handshake"});
      return;
    }
    proto::Handshake reply;
    reply.msg = crypto::Base64Encode(response);
    reply.ts = proto::NowMs();
    state_ = ConnState::ResponseSent;
    WriteFrame(proto::Serialize(reply));
    return;
  }
  // -> s, se consumed: the client proved its static key; now who is it?
  std::string client = ClientIdFromPayload(payload);
  auto remote = handshake_->RemoteStatic();
  if (!services::IsValidClientId(client) || !remote ||
      crypto::FinishHandshake(*handshake_, /*initiator=*/false, &transport_) !=
          crypto::noise::Status::Ok) {
    hub_.Stats().handshake_failures++;
    Fail({proto::error_code::kHandshakeFailed, "handshake payload must name a valid client id"});
    return;
  }
  has_transport_ = true;
  claimed_client_ = client;
  std::string remote_pk = crypto::Base64Encode(*remote);
  handshake_.reset();  // ephemeral secrets are wiped with it
  state_ = ConnState::Authenticating;
  uint64_t id = id_;
  Hub* hub = &hub_;
  hub_.Services().registry.Lookup(client, [hub, id, remote_pk](services::ClientRecord rec) {
    Connection* conn = hub->Find(id);  // it may have gone while Redis answered
    if (conn == nullptr || conn->State() != ConnState::Authenticating) return;
    if (rec.status == services::ClientRecord::Status::Unavailable) {
      conn->Fail({proto::error_code::kUnavailable, "client registry unavailable, retry later"});
      return;
    }
    bool found = rec.status == services::ClientRecord::Status::Found;
    conn->OnClientLookup(
        found && rec.pk.size() == remote_pk.size() &&
            crypto::ConstantTimeEqual(crypto::AsBytes(rec.pk), crypto::AsBytes(remote_pk)),
        rec.disabled);
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
  session_ = std::make_unique<Session>();
  session_->client = std::move(claimed_client_);
  claimed_client_.clear();
  state_ = ConnState::Active;
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
  log::Info("session.started", {{"conn", id_}, {"peer", peer_}, {"client", session_->client}});
  uint64_t now = hub_.NowMs();
  last_pong_ms = now;
  next_ping_ms = now + hub_.GetLimits().heartbeat_interval_ms;
  tokens_milli = 2ull * hub_.GetLimits().client_rate_per_s * 1000;
  tokens_at_ms = now;
  Reschedule();
  hub_.StartDelivery(this);
}

}  // namespace sp::connections
