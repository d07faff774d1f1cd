// Noise Protocol Framework (revision 34) handshake state, generic over the
// handshake patterns in noise/patterns.h and the primitives in noise/suite.h.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/noise/cipher_state.h"

namespace sp::crypto::noise {

enum class Status : uint8_t {
  Ok,
  UnsupportedProtocol,  // name parses but a primitive or pattern is not implemented
  BadProtocolName,
  WrongState,     // message out of turn, or transport use before Split
  MissingKey,     // a required s/rs/psk was not supplied
  BadMessage,     // too short / too long for the pattern
  DecryptFailed,  // authentication tag mismatch: tampered, replayed or wrong key
  BadPublicKey,   // DH produced the all-zero output (low-order point)
  NonceExhausted,
};
const char* Describe(Status status);

struct HandshakeConfig {
  std::string_view protocol_name;  // e.g. "Noise_XX_25519_AESGCM_SHA256"
  bool initiator = false;
  ByteView prologue;
  // Optional keys; which are required depends on the pattern.
  const uint8_t* local_static_secret = nullptr;  // 32 bytes
  // Its public half, when the caller has it: deriving it costs an X25519
  // base-point multiplication per handshake (a fifth of the responder's work).
  const uint8_t* local_static_public = nullptr;     // 32 bytes, optional
  const uint8_t* local_ephemeral_secret = nullptr;  // fixed ephemeral: test vectors only
  const uint8_t* remote_static = nullptr;           // 32 bytes (pre-message / IK, K, N)
  std::vector<ByteView> psks;                       // 32 bytes each, in pskN order
};

class SymmetricState;

class HandshakeState {
 public:
  ~HandshakeState();
  HandshakeState(const HandshakeState&) = delete;
  HandshakeState& operator=(const HandshakeState&) = delete;

  [[nodiscard]] static Status Create(const HandshakeConfig& config,
                                     std::unique_ptr<HandshakeState>* out);

  // Appends the next handshake message carrying `payload` to `out`.
  [[nodiscard]] Status WriteMessage(ByteView payload, Bytes* out);
  // Consumes the next handshake message, appending its payload to `payload`.
  // On failure the state is unusable (the caller closes the connection).
  [[nodiscard]] Status ReadMessage(ByteView message, Bytes* payload);

  bool IsComplete() const;
  bool IsMyTurn() const;
  // Valid once the remote static key has been received (or was pre-known).
  std::optional<ByteView> RemoteStatic() const;
  ByteView HandshakeHash() const;

  // After IsComplete(): the two transport CipherStates, (initiator->responder,
  // responder->initiator) as the spec's Split() returns them.
  [[nodiscard]] Status Split(CipherState* c1, CipherState* c2);

 private:
  HandshakeState();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Supported = every name that Create() accepts (used by sealpost-vectors to skip).
bool IsSupportedProtocol(std::string_view protocol_name);

}  // namespace sp::crypto::noise
