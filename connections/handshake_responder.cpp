#include "connections/handshake_responder.h"

#include <nlohmann/json.hpp>

#include "shared/client_id.h"
#include "shared/messages.h"
#include "shared/protocol.h"

namespace sp::connections {
namespace {

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
std::string ClientIdFromPayload(const crypto::Bytes& payload, size_t max_bytes) {
  if (payload.size() > max_bytes) return {};
  auto json = nlohmann::json::parse(payload.begin(), payload.end(), nullptr, false);
  if (!json.is_object()) return {};
  auto it = json.find("client");
  if (it == json.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

// Both client messages are {"type":"handshake",...,"msg":b64}. False (and
// `failure` set) if the frame is not one.
bool Decode(std::string_view frame, proto::Handshake* hs, crypto::Bytes* message, Step* failure) {
  auto parsed = proto::ParseHandshake(frame);
  if (auto* error = std::get_if<proto::ParseError>(&parsed)) {
    *failure = Failure(proto::error_code::kBadMessage, "handshake: " + error->ToString());
    return false;
  }
  *hs = std::move(std::get<proto::Handshake>(parsed));
  if (!crypto::Base64Decode(hs->msg, message)) {
    *failure = Failure(proto::error_code::kBadMessage, "handshake: msg is not valid base64");
    return false;
  }
  return true;
}

}  // namespace

Step HandshakeResponder::OnFrame(std::string_view frame) {
  Step step;
  switch (state_) {
    case State::AwaitingInitiation:
      step = OnInitiation(frame);
      break;
    case State::SentResponse:
      step = OnConfirmation(frame);
      break;
    case State::Done:
    case State::Failed:
      // Out of turn: refused without touching the outcome already given.
      return Failure(proto::error_code::kBadMessage, state_ == State::Done
                                                         ? "handshake already complete"
                                                         : "handshake already failed");
  }
  if (step.kind == StepKind::Fail) {
    noise_.reset();  // a failed handshake keeps no ephemeral secret either
    state_ = State::Failed;
  }
  return step;
}

Step HandshakeResponder::OnInitiation(std::string_view frame) {
  proto::Handshake hs;
  crypto::Bytes message;
  Step failure;
  if (!Decode(frame, &hs, &message, &failure)) return failure;
  if (!crypto::IsSealpostProtocol(hs.protocol)) {
    return Failure(proto::error_code::kUnsupportedProtocol,
                   "supported protocols: Noise_XX_25519_AESGCM_SHA256, "
                   "Noise_XX_25519_ChaChaPoly_BLAKE2b");
  }
  if (crypto::StartHandshake(hs.protocol, /*initiator=*/false, server_key_, &noise_) !=
      crypto::noise::Status::Ok) {
    return Failure(proto::error_code::kUnsupportedProtocol, "protocol unavailable here");
  }
  crypto::Bytes payload;
  crypto::Bytes response;
  // -> e
  if (noise_->ReadMessage(message, &payload) != crypto::noise::Status::Ok) {
    return Failure(proto::error_code::kHandshakeFailed, "handshake message 1 rejected");
  }
  // <- e, ee, s, es
  if (noise_->WriteMessage({}, &response) != crypto::noise::Status::Ok) {
    return Failure(proto::error_code::kHandshakeFailed, "could not answer the handshake");
  }
  proto::Handshake reply;
  reply.msg = crypto::Base64Encode(response);
  reply.ts = proto::NowMs();
  Step s;
  s.kind = StepKind::Reply;
  s.frame = proto::Serialize(reply);
  state_ = State::SentResponse;
  return s;
}

Step HandshakeResponder::OnConfirmation(std::string_view frame) {
  proto::Handshake hs;
  crypto::Bytes message;
  Step failure;
  if (!Decode(frame, &hs, &message, &failure)) return failure;
  crypto::Bytes payload;
  // -> s, se: the client proved it holds the static key it sent.
  if (noise_->ReadMessage(message, &payload) != crypto::noise::Status::Ok) {
    return Failure(proto::error_code::kHandshakeFailed, "handshake message 3 rejected");
  }
  std::string client = ClientIdFromPayload(payload, max_payload_bytes_);
  auto remote = noise_->RemoteStatic();
  if (!proto::IsValidClientId(client) || !remote) {
    return Failure(proto::error_code::kHandshakeFailed,
                   "handshake payload must name a valid client id");
  }
  crypto::Transport transport;
  if (crypto::FinishHandshake(*noise_, /*initiator=*/false, &transport) !=
      crypto::noise::Status::Ok) {
    return Failure(proto::error_code::kHandshakeFailed, "could not complete the handshake");
  }
  Step s;
  s.kind = StepKind::Authenticate;
  s.client = std::move(client);
  s.remote_pk = crypto::Base64Encode(*remote);
  noise_.reset();  // ephemeral secrets are wiped with it
  transport_ = transport;
  state_ = State::Done;
  return s;
}

bool HandshakeResponder::TakeTransport(crypto::Transport* out) {
  if (state_ != State::Done || !transport_) return false;
  *out = *transport_;
  transport_.reset();
  return true;
}

}  // namespace sp::connections
