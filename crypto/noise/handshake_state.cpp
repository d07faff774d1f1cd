#include "crypto/noise/handshake_state.h"

#include <sodium.h>

#include <cstring>

#include "crypto/keys.h"
#include "crypto/noise/patterns.h"
#include "crypto/noise/symmetric_state.h"

namespace sp::crypto::noise {

namespace {

// Everything one handshake message may change. Each message is processed on
// a copy that replaces the committed state only if the whole message
// succeeded; the copy's secrets are wiped when it goes out of scope.
struct Progress {
  SymmetricState symmetric;
  KeyPair e;
  uint8_t re[kDhLen] = {};
  uint8_t rs[kDhLen] = {};
  bool has_e = false;
  bool has_re = false;
  bool has_rs = false;
  uint8_t psk_index = 0;
};

// Which local and remote keys a pattern needs, from one side's point of view.
struct KeyNeeds {
  bool local_static = false;
  bool remote_static_premessage = false;
};

KeyNeeds NeedsFor(const HandshakePattern& p, bool initiator) {
  KeyNeeds needs;
  needs.local_static = initiator ? p.initiator_pre_s : p.responder_pre_s;
  needs.remote_static_premessage = initiator ? p.responder_pre_s : p.initiator_pre_s;
  for (size_t m = 0; m < p.message_count; ++m) {
    const bool mine = SentByInitiator(p, m) == initiator;
    for (size_t t = 0; t < p.messages[m].count; ++t) {
      const Token token = p.messages[m].tokens[t];
      // es uses the responder's s, se the initiator's, ss both.
      if ((token == Token::S && mine) || token == Token::SS || (token == Token::ES && !initiator) ||
          (token == Token::SE && initiator)) {
        needs.local_static = true;
      }
    }
  }
  return needs;
}

}  // namespace

const char* Describe(Status status) {
  switch (status) {
    case Status::Ok:
      return "ok";
    case Status::UnsupportedProtocol:
      return "unsupported Noise protocol";
    case Status::BadProtocolName:
      return "malformed Noise protocol name";
    case Status::WrongState:
      return "handshake message out of turn";
    case Status::MissingKey:
      return "a required key or psk is missing";
    case Status::BadMessage:
      return "handshake message has the wrong size";
    case Status::DecryptFailed:
      return "decryption failed";
    case Status::BadPublicKey:
      return "invalid public key";
    case Status::NonceExhausted:
      return "nonce exhausted";
  }
  return "unknown status";
}

struct HandshakeState::Impl {
  HandshakePattern pattern;
  bool initiator = false;
  bool psk_mode = false;  // every `e` also calls MixKey (section 9.2)
  bool failed = false;
  uint8_t message_index = 0;
  KeyPair s;
  bool has_s = false;
  Secret<kDhLen> fixed_e;
  bool has_fixed_e = false;
  Secret<32> psks[kMaxPsks];
  Progress state;

  Status Init(const HandshakeConfig& config, const ProtocolSpec& spec);
  Status WriteToken(Token token, Progress& w, Bytes* out) const;
  Status ReadToken(Token token, Progress& w, ByteView* rest) const;
  Status MixDh(Token token, Progress& w) const;
  bool Complete() const { return message_index == pattern.message_count; }
  bool MyTurn() const { return SentByInitiator(pattern, message_index) == initiator; }
};

Status HandshakeState::Impl::Init(const HandshakeConfig& config, const ProtocolSpec& spec) {
  pattern = spec.pattern;
  initiator = config.initiator;
  psk_mode = pattern.psk_count > 0;
  const KeyNeeds needs = NeedsFor(pattern, initiator);
  if (needs.local_static && config.local_static_secret == nullptr) return Status::MissingKey;
  if (needs.remote_static_premessage && config.remote_static == nullptr) {
    return Status::MissingKey;
  }
  if (config.psks.size() < pattern.psk_count) return Status::MissingKey;
  for (size_t i = 0; i < pattern.psk_count; ++i) {
    if (config.psks[i].size() != 32) return Status::MissingKey;
    std::memcpy(psks[i].data(), config.psks[i].data(), 32);
  }
  if (config.local_static_secret != nullptr && config.local_static_public != nullptr) {
    std::memcpy(s.secret.data(), config.local_static_secret, kDhLen);
    std::memcpy(s.public_key, config.local_static_public, kDhLen);
    has_s = true;
  } else if (config.local_static_secret != nullptr) {
    s = KeyPairFromSecret({config.local_static_secret, kDhLen});
    has_s = true;
  }
  if (config.local_ephemeral_secret != nullptr) {
    std::memcpy(fixed_e.data(), config.local_ephemeral_secret, kDhLen);
    has_fixed_e = true;
  }
  if (needs.remote_static_premessage) {
    std::memcpy(state.rs, config.remote_static, kDhLen);
    state.has_rs = true;
  }
  SymmetricState& ss = state.symmetric;
  ss.Initialize(spec.hash, spec.cipher, config.protocol_name);
  ss.MixHash(config.prologue);
  // Pre-messages: the initiator's keys first, then the responder's.
  if (pattern.initiator_pre_s) ss.MixHash(initiator ? s.Public() : ByteView(state.rs, kDhLen));
  if (pattern.responder_pre_s) ss.MixHash(initiator ? ByteView(state.rs, kDhLen) : s.Public());
  return Status::Ok;
}

Status HandshakeState::Impl::MixDh(Token token, Progress& w) const {
  // Each DH token names (initiator's key, responder's key); resolve it to
  // (our private key, their public key) for this side.
  bool local_e = false;
  bool remote_e = false;
  switch (token) {
    case Token::EE:  // ee: DH(e, re) on both sides
      local_e = remote_e = true;
      break;
    case Token::ES:  // es: initiator DH(e, rs), responder DH(s, re)
      local_e = initiator;
      remote_e = !initiator;
      break;
    case Token::SE:  // se: initiator DH(s, re), responder DH(e, rs)
      local_e = !initiator;
      remote_e = initiator;
      break;
    default:  // ss: DH(s, rs)
      break;
  }
  const KeyPair* local = local_e ? (w.has_e ? &w.e : nullptr) : (has_s ? &s : nullptr);
  const bool remote_known = remote_e ? w.has_re : w.has_rs;
  if (local == nullptr || !remote_known) return Status::MissingKey;
  Secret<kDhLen> shared;  // wiped on return
  if (!Dh(local->secret.data(), remote_e ? w.re : w.rs, shared.data())) {
    return Status::BadPublicKey;
  }
  w.symmetric.MixKey(shared.view());
  return Status::Ok;
}

Status HandshakeState::Impl::WriteToken(Token token, Progress& w, Bytes* out) const {
  switch (token) {
    case Token::E:  // e
      w.e = has_fixed_e ? KeyPairFromSecret(fixed_e.view()) : GenerateKeyPair();
      w.has_e = true;
      out->insert(out->end(), w.e.public_key, w.e.public_key + kDhLen);
      w.symmetric.MixHash(w.e.Public());
      if (psk_mode) w.symmetric.MixKey(w.e.Public());
      return Status::Ok;
    case Token::S:  // s
      if (!has_s) return Status::MissingKey;
      return w.symmetric.EncryptAndHash(s.Public(), out) ? Status::Ok : Status::NonceExhausted;
    case Token::Psk:  // psk
      w.symmetric.MixKeyAndHash(psks[w.psk_index++].view());
      return Status::Ok;
    default:  // ee, es, se, ss
      return MixDh(token, w);
  }
}

Status HandshakeState::Impl::ReadToken(Token token, Progress& w, ByteView* rest) const {
  switch (token) {
    case Token::E:  // e
      if (rest->size() < kDhLen) return Status::BadMessage;
      std::memcpy(w.re, rest->data(), kDhLen);
      w.has_re = true;
      *rest = rest->subspan(kDhLen);
      w.symmetric.MixHash({w.re, kDhLen});
      if (psk_mode) w.symmetric.MixKey({w.re, kDhLen});
      return Status::Ok;
    case Token::S: {  // s
      const size_t len = kDhLen + w.symmetric.Overhead();
      if (rest->size() < len) return Status::BadMessage;
      if (!w.symmetric.DecryptAndHash(rest->first(len), w.rs)) return Status::DecryptFailed;
      w.has_rs = true;
      *rest = rest->subspan(len);
      return Status::Ok;
    }
    case Token::Psk:  // psk
      w.symmetric.MixKeyAndHash(psks[w.psk_index++].view());
      return Status::Ok;
    default:  // ee, es, se, ss
      return MixDh(token, w);
  }
}

HandshakeState::HandshakeState() : impl_(std::make_unique<Impl>()) {}
HandshakeState::~HandshakeState() = default;

Status HandshakeState::Create(const HandshakeConfig& config, std::unique_ptr<HandshakeState>* out) {
  if (!InitCrypto()) return Status::UnsupportedProtocol;
  ProtocolSpec spec;
  if (Status s = ParseProtocolName(config.protocol_name, &spec); s != Status::Ok) return s;
  if (spec.cipher == CipherKind::AesGcm && crypto_aead_aes256gcm_is_available() == 0) {
    return Status::UnsupportedProtocol;  // no AES-NI/CLMUL: libsodium has no fallback
  }
  std::unique_ptr<HandshakeState> hs(new HandshakeState());
  if (Status s = hs->impl_->Init(config, spec); s != Status::Ok) return s;
  *out = std::move(hs);
  return Status::Ok;
}

Status HandshakeState::WriteMessage(ByteView payload, Bytes* out) {
  Impl& im = *impl_;
  if (im.failed || im.Complete() || !im.MyTurn()) return Status::WrongState;
  if (payload.size() > kMaxMessageBytes) return Status::BadMessage;
  const size_t start = out->size();
  Progress w = im.state;
  const MessagePattern& message = im.pattern.messages[im.message_index];
  Status status = Status::Ok;
  for (size_t i = 0; i < message.count && status == Status::Ok; ++i) {
    status = im.WriteToken(message.tokens[i], w, out);
  }
  if (status == Status::Ok && !w.symmetric.EncryptAndHash(payload, out)) {
    status = Status::NonceExhausted;
  }
  if (status == Status::Ok && out->size() - start > kMaxMessageBytes) status = Status::BadMessage;
  if (status != Status::Ok) {
    out->resize(start);  // nothing was committed: the caller may retry
    return status;
  }
  im.state = w;
  ++im.message_index;
  if (im.Complete()) im.state.e = KeyPair();  // the ephemeral secret is no longer needed
  return Status::Ok;
}

Status HandshakeState::ReadMessage(ByteView message, Bytes* payload) {
  Impl& im = *impl_;
  if (im.failed || im.Complete() || im.MyTurn()) return Status::WrongState;
  im.failed = true;  // cleared below once the whole message checks out
  if (message.size() > kMaxMessageBytes) return Status::BadMessage;
  Progress w = im.state;
  const MessagePattern& pattern = im.pattern.messages[im.message_index];
  ByteView rest = message;
  for (size_t i = 0; i < pattern.count; ++i) {
    if (Status s = im.ReadToken(pattern.tokens[i], w, &rest); s != Status::Ok) return s;
  }
  if (rest.size() < w.symmetric.Overhead()) return Status::BadMessage;
  const size_t start = payload->size();
  payload->resize(start + rest.size() - w.symmetric.Overhead());
  if (!w.symmetric.DecryptAndHash(rest, payload->data() + start)) {
    payload->resize(start);
    return Status::DecryptFailed;
  }
  im.state = w;
  im.failed = false;
  ++im.message_index;
  if (im.Complete()) im.state.e = KeyPair();
  return Status::Ok;
}

bool HandshakeState::IsComplete() const {
  return impl_->Complete();
}

bool HandshakeState::IsMyTurn() const {
  return !impl_->failed && !impl_->Complete() && impl_->MyTurn();
}

std::optional<ByteView> HandshakeState::RemoteStatic() const {
  if (!impl_->state.has_rs) return std::nullopt;
  return ByteView(impl_->state.rs, kDhLen);
}

ByteView HandshakeState::HandshakeHash() const {
  return impl_->state.symmetric.HandshakeHash();
}

Status HandshakeState::Split(CipherState* c1, CipherState* c2) {
  if (impl_->failed || !impl_->Complete()) return Status::WrongState;
  impl_->state.symmetric.Split(c1, c2);
  return Status::Ok;
}

bool IsSupportedProtocol(std::string_view protocol_name) {
  ProtocolSpec spec;
  if (ParseProtocolName(protocol_name, &spec) != Status::Ok) return false;
  if (spec.cipher != CipherKind::AesGcm) return true;
  return InitCrypto() && crypto_aead_aes256gcm_is_available() != 0;
}

}  // namespace sp::crypto::noise
