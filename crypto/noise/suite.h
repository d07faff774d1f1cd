// The primitives a Noise protocol name selects (spec section 12): the DH
// function (25519 only), the hash functions with HMAC/HKDF on top of them
// (section 4.3), and the cipher kinds of cipher_state.h.
#pragma once

#include <sodium.h>

#include <cstddef>
#include <cstdint>

#include "crypto/bytes.h"
#include "crypto/noise/blake2s.h"

namespace sp::crypto::noise {

enum class HashKind : uint8_t { Sha256, Sha512, Blake2s, Blake2b };
constexpr size_t kMaxHashLen = 64;
constexpr size_t kDhLen = 32;

size_t HashLen(HashKind kind);   // HASHLEN: 32 or 64
size_t BlockLen(HashKind kind);  // BLOCKLEN, used by HMAC

// Incremental HASH(); the state is wiped on destruction.
class Hasher {
 public:
  explicit Hasher(HashKind kind);
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  void Update(ByteView data);
  // Writes HashLen(kind) bytes. Call once.
  void Final(uint8_t* out);

 private:
  HashKind kind_;
  union State {
    State() {}
    crypto_hash_sha256_state sha256;
    crypto_hash_sha512_state sha512;
    crypto_generichash_state blake2b;
  } state_;
  Blake2s blake2s_;  // kept outside the union: it has a constructor and destructor
};

// out = HASH(a || b), HashLen(kind) bytes.
void Hash(HashKind kind, ByteView a, ByteView b, uint8_t* out);
// out = HMAC-HASH(key, data), HashLen(kind) bytes (RFC 2104).
void Hmac(HashKind kind, ByteView key, ByteView data, uint8_t* out);
// HKDF(chaining_key, ikm, 2 or 3) of spec section 4.3: each output is
// HashLen(kind) bytes; out3 may be null for the two-output form.
void Hkdf(HashKind kind, ByteView chaining_key, ByteView ikm, uint8_t* out1, uint8_t* out2,
          uint8_t* out3);

// X25519. False if the result is all zeros (low-order public key).
[[nodiscard]] bool Dh(const uint8_t secret[kDhLen], const uint8_t remote_public[kDhLen],
                      uint8_t out[kDhLen]);
void DhPublicKey(const uint8_t secret[kDhLen], uint8_t public_key[kDhLen]);

}  // namespace sp::crypto::noise
