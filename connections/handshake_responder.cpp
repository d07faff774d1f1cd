#include "connections/handshake_responder.h"

#include <nlohmann/json.hpp>

#include "shared/client_id.h"
#include "shared/messages.h"
#include "shared/protocol.h"

namespace sp::connections {
namespace {

constexpr size_t kMaxHandshakePayload = 1024;

using Step = HandshakeResponder::Step;
using StepKind = HandshakeResponder::StepKind;

Step Failure(std::string_view code, std::string message) {
  Step s;
  s.kind = StepKind::Fail;
  s.code = code;
  s.message = std::move(message);
  return s;
}

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

Step HandshakeResponder::OnFrame(std::string_view frame) {
  if (done_) return Failure(proto::error_code::kBadMessage, "handshake already complete");
  auto parsed = proto::ParseHandshake(frame);
  if (auto* error = std::get_if<proto::ParseError>(&parsed)) {
    return Failure(proto::error_code::kBadMessage, "handshake: " + error->ToString());
  }
  const proto::Handshake& hs = std::get<proto::Handshake>(parsed);
  crypto::Bytes message;
  if (!crypto::Base64Decode(hs.msg, &message)) {
    return Failure(proto::error_code::kBadMessage, "handshake: msg is not valid base64");
  }
  if (state_ == nullptr) {
    if (!crypto::IsSealpostProtocol(hs.protocol)) {
      return Failure(proto::error_code::kUnsupportedProtocol,
                     "supported protocols: Noise_XX_25519_AESGCM_SHA256, "
                     "Noise_XX_25519_ChaChaPoly_BLAKE2b");
    }
    if (crypto::StartHandshake(hs.protocol, /*initiator=*/false, server_key_, &state_) !=
        crypto::noise::Status::Ok) {
      return Failure(proto::error_code::kUnsupportedProtocol, "protocol unavailable here");
    }
    return OnFirst(message);
  }
  return OnThird(message);
}

Step HandshakeResponder::OnFirst(crypto::ByteView message) {
  crypto::Bytes payload;
  crypto::Bytes response;
  // -> e
  if (state_->ReadMessage(message, &payload) != crypto::noise::Status::Ok) {
    return Failure(proto::error_code::kHandshakeFailed, "handshake message 1 rejected");
  }
  // <- e, ee, s, es
  if (state_->WriteMessage({}, &response) != crypto::noise::Status::Ok) {
    return Failure(proto::error_code::kHandshakeFailed, "could not answer the handshake");
  }
  proto::Handshake reply;
  reply.msg = crypto::Base64Encode(response);
  reply.ts = proto::NowMs();
  Step s;
  s.kind = StepKind::Reply;
  s.frame = proto::Serialize(reply);
  return s;
}

Step HandshakeResponder::OnThird(crypto::ByteView message) {
  crypto::Bytes payload;
  // -> s, se: the client proved it holds the static key it sent.
  if (state_->ReadMessage(message, &payload) != crypto::noise::Status::Ok) {
    return Failure(proto::error_code::kHandshakeFailed, "handshake message 3 rejected");
  }
  std::string client = ClientIdFromPayload(payload);
  auto remote = state_->RemoteStatic();
  if (!proto::IsValidClientId(client) || !remote) {
    return Failure(proto::error_code::kHandshakeFailed,
                   "handshake payload must name a valid client id");
  }
  if (crypto::FinishHandshake(*state_, /*initiator=*/false, &transport_) !=
      crypto::noise::Status::Ok) {
    return Failure(proto::error_code::kHandshakeFailed, "could not complete the handshake");
  }
  Step s;
  s.kind = StepKind::Authenticate;
  s.client = std::move(client);
  s.remote_pk = crypto::Base64Encode(*remote);
  state_.reset();  // ephemeral secrets are wiped with it
  done_ = true;
  return s;
}

bool HandshakeResponder::TakeTransport(crypto::Transport* out) {
  if (!done_ || taken_) return false;
  *out = transport_;
  transport_ = crypto::Transport();
  taken_ = true;
  return true;
}

}  // namespace sp::connections
