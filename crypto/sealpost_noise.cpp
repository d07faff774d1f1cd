#include "crypto/sealpost_noise.h"

namespace sp::crypto {

namespace {

// Both ends rekey a direction before its message number k * kRekeyInterval,
// so the schedule needs no signalling.
void RekeyIfDue(noise::CipherState& cs) {
  const uint64_t n = cs.Nonce();
  if (n > 0 && n % kRekeyInterval == 0) cs.Rekey();
}

}  // namespace

bool IsSealpostProtocol(std::string_view protocol_name) {
  return protocol_name == kDefaultProtocol || protocol_name == kAltProtocol;
}

bool Transport::Encrypt(ByteView plain, uint8_t* out) {
  if (!send_.HasKey() || plain.size() > MaxPlaintext()) return false;
  RekeyIfDue(send_);
  return send_.EncryptWithAd({}, plain, out);
}

bool Transport::Decrypt(ByteView cipher, uint8_t* out) {
  if (!recv_.HasKey() || cipher.size() < Overhead() || cipher.size() > noise::kMaxMessageBytes) {
    return false;
  }
  const uint64_t n = recv_.Nonce();
  if (n == 0 || n % kRekeyInterval != 0) return recv_.DecryptWithAd({}, cipher, out);
  // At a rekey boundary, work on a copy: a forged message must not rekey the
  // real state, or the genuine message at this nonce would meet a key that
  // was rekeyed twice.
  noise::CipherState next = recv_;
  next.Rekey();
  if (!next.DecryptWithAd({}, cipher, out)) return false;
  recv_ = next;
  return true;
}

noise::Status StartHandshake(std::string_view protocol_name, bool initiator,
                             const KeyPair& local_static,
                             std::unique_ptr<noise::HandshakeState>* out) {
  if (!IsSealpostProtocol(protocol_name)) return noise::Status::UnsupportedProtocol;
  noise::HandshakeConfig config;
  config.protocol_name = protocol_name;
  config.initiator = initiator;
  config.prologue = AsBytes(kPrologue);
  config.local_static_secret = local_static.secret.data();
  config.local_static_public = local_static.public_key;
  return noise::HandshakeState::Create(config, out);
}

noise::Status FinishHandshake(noise::HandshakeState& handshake, bool initiator, Transport* out) {
  noise::CipherState c1;
  noise::CipherState c2;
  if (noise::Status s = handshake.Split(&c1, &c2); s != noise::Status::Ok) return s;
  // c1 carries initiator -> responder traffic, c2 the reverse.
  *out = initiator ? Transport(c1, c2) : Transport(c2, c1);
  return noise::Status::Ok;
}

}  // namespace sp::crypto
