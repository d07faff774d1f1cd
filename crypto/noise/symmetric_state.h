// Noise SymmetricState (spec section 5.2): the chaining key, the handshake
// hash and the handshake's CipherState. Copyable on purpose: HandshakeState
// processes each message on a copy and commits it only on success.
#pragma once

#include <string_view>

#include "crypto/bytes.h"
#include "crypto/noise/cipher_state.h"
#include "crypto/noise/suite.h"

namespace sp::crypto::noise {

class SymmetricState {
 public:
  void Initialize(HashKind hash, CipherKind cipher, std::string_view protocol_name);
  void MixKey(ByteView input_key_material);
  void MixHash(ByteView data);
  void MixKeyAndHash(ByteView input_key_material);

  bool HasKey() const { return cipher_state_.HasKey(); }
  // Bytes EncryptAndHash adds to a plaintext: the tag once a key exists.
  size_t Overhead() const { return HasKey() ? kTagBytes : 0; }

  // Appends the ciphertext to `out`; false if the nonce is exhausted.
  [[nodiscard]] bool EncryptAndHash(ByteView plain, Bytes* out);
  // Writes cipher.size() - Overhead() bytes to `out` (which must not alias
  // `cipher`); false on a bad tag.
  [[nodiscard]] bool DecryptAndHash(ByteView cipher, uint8_t* out);

  void Split(CipherState* c1, CipherState* c2) const;
  ByteView HandshakeHash() const { return {h_, HashLen(hash_)}; }

 private:
  HashKind hash_ = HashKind::Sha256;
  CipherKind cipher_ = CipherKind::ChaChaPoly;
  Secret<kMaxHashLen> ck_;
  uint8_t h_[kMaxHashLen] = {};
  CipherState cipher_state_;
};

}  // namespace sp::crypto::noise
