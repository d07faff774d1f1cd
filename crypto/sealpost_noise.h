// The sealpost/1 secure channel: Noise_XX with a pinned responder key, the
// client id carried inside the encrypted third message, and transport cipher
// states that rekey on a fixed schedule. Used by both the server and the client.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "crypto/keys.h"
#include "crypto/noise/cipher_state.h"
#include "crypto/noise/handshake_state.h"

namespace sp::crypto {

// The prologue binds every handshake to this protocol version.
constexpr std::string_view kPrologue = "sealpost/1";
constexpr std::string_view kDefaultProtocol = "Noise_XX_25519_AESGCM_SHA256";
constexpr std::string_view kAltProtocol = "Noise_XX_25519_ChaChaPoly_BLAKE2b";
// Each direction calls REKEY() before the message whose nonce is a non-zero
// multiple of this interval (both ends count the same, so nothing is sent).
constexpr uint64_t kRekeyInterval = 65536;

// True for the two suites a sealpost server accepts.
bool IsSealpostProtocol(std::string_view protocol_name);

// Post-handshake state: two cipher states, ~100 bytes, no heap.
class Transport {
 public:
  Transport() = default;
  Transport(const noise::CipherState& send, const noise::CipherState& recv)
      : send_(send), recv_(recv) {}

  static constexpr size_t Overhead() { return noise::kTagBytes; }
  // Largest plaintext one transport message may carry.
  static constexpr size_t MaxPlaintext() { return noise::kMaxMessageBytes - noise::kTagBytes; }

  // out must hold plain.size() + 16 bytes.
  [[nodiscard]] bool Encrypt(ByteView plain, uint8_t* out);
  // out must hold cipher.size() - 16 bytes. False: tampered, replayed,
  // reordered or dropped message (nonces are implicit), or too short.
  [[nodiscard]] bool Decrypt(ByteView cipher, uint8_t* out);

  uint64_t SentCount() const { return send_.Nonce(); }
  uint64_t ReceivedCount() const { return recv_.Nonce(); }

 private:
  noise::CipherState send_;
  noise::CipherState recv_;
};

}  // namespace sp::crypto

namespace sp::crypto {

// Creates the handshake for one side of a sealpost/1 connection.
[[nodiscard]] noise::Status StartHandshake(std::string_view protocol_name, bool initiator,
                                           const KeyPair& local_static,
                                           std::unique_ptr<noise::HandshakeState>* out);
// After the handshake completes: splits it and orients the cipher states so
// that Transport::Encrypt uses this side's sending direction.
[[nodiscard]] noise::Status FinishHandshake(noise::HandshakeState& handshake, bool initiator,
                                            Transport* out);

}  // namespace sp::crypto
