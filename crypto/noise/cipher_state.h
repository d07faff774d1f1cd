// Noise CipherState (spec section 5.1): a key, a 64-bit nonce and a cipher.
// Small and heap-free on purpose: two of these are all a live session keeps.
#pragma once

#include <cstdint>

#include "crypto/bytes.h"

namespace sp::crypto::noise {

enum class CipherKind : uint8_t { AesGcm, ChaChaPoly };
constexpr size_t kTagBytes = 16;
constexpr size_t kMaxMessageBytes = 65535;  // Noise limit for any message

class CipherState {
 public:
  CipherState() = default;
  ~CipherState();
  CipherState(const CipherState&) = default;
  CipherState& operator=(const CipherState&) = default;

  void InitializeKey(CipherKind kind, const uint8_t key[32]);
  bool HasKey() const { return has_key_; }
  void SetNonce(uint64_t n) { n_ = n; }
  uint64_t Nonce() const { return n_; }
  CipherKind Kind() const { return kind_; }

  // Writes plain.size() + 16 bytes to `out`. Without a key (handshake before
  // the first DH) it copies the plaintext: plain.size() bytes, no tag.
  // `out` may alias `plain`. Returns false when the nonce is exhausted (2^64-1).
  [[nodiscard]] bool EncryptWithAd(ByteView ad, ByteView plain, uint8_t* out);
  // Writes cipher.size() - 16 bytes to `out`; false on a bad tag or short input.
  // Without a key it copies the input: cipher.size() bytes. `out` may alias
  // `cipher`; after a failure its contents are unspecified. The nonce
  // advances only on success.
  [[nodiscard]] bool DecryptWithAd(ByteView ad, ByteView cipher, uint8_t* out);
  // REKEY(): k = first 32 bytes of ENCRYPT(k, 2^64-1, "", 32 zero bytes).
  void Rekey();

 private:
  Secret<32> key_;
  uint64_t n_ = 0;
  CipherKind kind_ = CipherKind::ChaChaPoly;
  bool has_key_ = false;
};

}  // namespace sp::crypto::noise
