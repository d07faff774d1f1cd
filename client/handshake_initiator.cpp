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
  sp::crypto::Bytes msg;
  // -> e
  if (sp::crypto::StartHandshake(protocol_, /*initiator=*/true, key_, &state_) != Status::Ok ||
      state_->WriteMessage({}, &msg) != Status::Ok) {
    return Result::Failed;
  }
  sp::proto::Handshake hs;
  hs.protocol = protocol_;
  hs.msg = sp::crypto::Base64Encode(msg);
  hs.ts = sp::proto::NowMs();
  *frame1 = sp::proto::Serialize(hs);
  return Result::Ok;
}

HandshakeInitiator::Result HandshakeInitiator::OnFrame(std::string_view frame2, std::string* frame3,
                                                       sp::crypto::Transport* transport) {
  if (state_ == nullptr) return Result::Failed;
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
    return Result::Rejected;
  }
  sp::crypto::Bytes msg2;
  sp::crypto::Bytes payload;
  // <- e, ee, s, es
  if (!sp::crypto::Base64Decode(std::get<sp::proto::Handshake>(parsed).msg, &msg2) ||
      state_->ReadMessage(msg2, &payload) != Status::Ok) {
    return Result::Rejected;
  }
  auto remote = state_->RemoteStatic();
  if (!remote) return Result::Rejected;
  server_key_b64_ = sp::crypto::Base64Encode(*remote);
  if (!pinned_.empty() && !sp::crypto::ConstantTimeEqual(*remote, pinned_)) {
    return Result::ServerKeyMismatch;
  }
  // -> s, se (payload: who we are, readable only by the authenticated server)
  std::string hello = nlohmann::json{{"client", client_id_}}.dump();
  sp::crypto::Bytes msg3;
  if (state_->WriteMessage(sp::crypto::AsBytes(hello), &msg3) != Status::Ok ||
      sp::crypto::FinishHandshake(*state_, /*initiator=*/true, transport) != Status::Ok) {
    return Result::Failed;
  }
  state_.reset();  // ephemeral secrets are wiped now
  sp::proto::Handshake hs;
  hs.msg = sp::crypto::Base64Encode(msg3);
  hs.ts = sp::proto::NowMs();
  *frame3 = sp::proto::Serialize(hs);
  return Result::Ok;
}

}  // namespace sealpost
