#include "client/handshake_initiator.h"

#include <nlohmann/json.hpp>

#include "shared/messages.h"

namespace sealpost {

using sp::crypto::noise::Status;

HandshakeInitiator::HandshakeInitiator(std::string protocol, const sp::crypto::KeyPair& key,
                                       std::string client_id, sp::crypto::Bytes pinned)
    : protocol_(std::move(protocol)),
      key_(key),
      client_id_(std::move(client_id)),
      pinned_(std::move(pinned)) {}

HandshakeInitiator::~HandshakeInitiator() = default;

HandshakeInitiator::Result HandshakeInitiator::Start(std::string* frame1) {
  if (state_ != State::Created) return Result::Failed;
  sp::crypto::Bytes msg;
  // -> e
  if (sp::crypto::StartHandshake(protocol_, /*initiator=*/true, key_, &noise_) != Status::Ok ||
      noise_->WriteMessage({}, &msg) != Status::Ok) {
    noise_.reset();
    state_ = State::Failed;
    return Result::Failed;
  }
  sp::proto::Handshake hs;
  hs.protocol = protocol_;
  hs.msg = sp::crypto::Base64Encode(msg);
  hs.ts = sp::proto::NowMs();
  *frame1 = sp::proto::Serialize(hs);
  state_ = State::SentInitiation;
  return Result::Ok;
}

HandshakeInitiator::Result HandshakeInitiator::OnFrame(std::string_view frame2, std::string* frame3,
                                                       sp::crypto::Transport* transport) {
  if (state_ != State::SentInitiation) return Result::Failed;
  Result result = ReadResponse(frame2, frame3, transport);
  noise_.reset();  // ephemeral secrets are wiped now, whatever the outcome
  state_ = result == Result::Ok ? State::Done : State::Failed;
  return result;
}

HandshakeInitiator::Result HandshakeInitiator::ReadResponse(std::string_view frame2,
                                                            std::string* frame3,
                                                            sp::crypto::Transport* transport) {
  auto parsed = sp::proto::ParseHandshake(frame2);
  if (auto* error = std::get_if<sp::proto::ParseError>(&parsed)) {
    // Not a handshake: the server may have refused us in plaintext.
    auto server = sp::proto::ParseServerMessage(frame2);
    if (auto* msg = std::get_if<sp::proto::ServerMessage>(&server)) {
      if (auto* err = std::get_if<sp::proto::Error>(msg)) {
        error_code_ = err->code;
        error_message_ = err->message;
        return Result::ServerError;
      }
    }
    error_message_ = error->ToString();
    return Result::Unexpected;
  }
  sp::crypto::Bytes msg2;
  sp::crypto::Bytes payload;
  // <- e, ee, s, es
  if (!sp::crypto::Base64Decode(std::get<sp::proto::Handshake>(parsed).msg, &msg2) ||
      noise_->ReadMessage(msg2, &payload) != Status::Ok) {
    return Result::Rejected;
  }
  auto remote = noise_->RemoteStatic();
  if (!remote) return Result::Rejected;
  server_key_b64_ = sp::crypto::Base64Encode(*remote);
  // The server proved possession of this key in message 2 (es).
  if (!pinned_.empty() && !sp::crypto::ConstantTimeEqual(*remote, pinned_)) {
    return Result::ServerKeyMismatch;
  }
  // -> s, se (payload: who we are, readable only by the authenticated server)
  std::string hello = nlohmann::json{{"client", client_id_}}.dump();
  sp::crypto::Bytes msg3;
  if (noise_->WriteMessage(sp::crypto::AsBytes(hello), &msg3) != Status::Ok ||
      sp::crypto::FinishHandshake(*noise_, /*initiator=*/true, transport) != Status::Ok) {
    return Result::Failed;
  }
  sp::proto::Handshake hs;
  hs.msg = sp::crypto::Base64Encode(msg3);
  hs.ts = sp::proto::NowMs();
  *frame3 = sp::proto::Serialize(hs);
  return Result::Ok;
}

}  // namespace sealpost
