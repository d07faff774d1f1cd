#include "crypto/noise/suite.h"

#include <cstring>

namespace sp::crypto::noise {

size_t HashLen(HashKind kind) {
  return kind == HashKind::Sha256 || kind == HashKind::Blake2s ? 32 : 64;
}

size_t BlockLen(HashKind kind) {
  return kind == HashKind::Sha256 || kind == HashKind::Blake2s ? 64 : 128;
}

Hasher::Hasher(HashKind kind) : kind_(kind) {
  switch (kind_) {
    case HashKind::Sha256:
      crypto_hash_sha256_init(&state_.sha256);
      break;
    case HashKind::Sha512:
      crypto_hash_sha512_init(&state_.sha512);
      break;
    case HashKind::Blake2b:
      crypto_generichash_init(&state_.blake2b, nullptr, 0, crypto_generichash_BYTES_MAX);
      break;
    case HashKind::Blake2s:
      break;  // blake2s_ initialises itself
  }
}

Hasher::~Hasher() {
  Wipe(&state_, sizeof(state_));
}

void Hasher::Update(ByteView data) {
  if (data.empty()) return;
  switch (kind_) {
    case HashKind::Sha256:
      crypto_hash_sha256_update(&state_.sha256, data.data(), data.size());
      break;
    case HashKind::Sha512:
      crypto_hash_sha512_update(&state_.sha512, data.data(), data.size());
      break;
    case HashKind::Blake2b:
      crypto_generichash_update(&state_.blake2b, data.data(), data.size());
      break;
    case HashKind::Blake2s:
      blake2s_.Update(data);
      break;
  }
}

void Hasher::Final(uint8_t* out) {
  switch (kind_) {
    case HashKind::Sha256:
      crypto_hash_sha256_final(&state_.sha256, out);
      break;
    case HashKind::Sha512:
      crypto_hash_sha512_final(&state_.sha512, out);
      break;
    case HashKind::Blake2b:
      crypto_generichash_final(&state_.blake2b, out, crypto_generichash_BYTES_MAX);
      break;
    case HashKind::Blake2s:
      blake2s_.Final(out);
      break;
  }
}

void Hash(HashKind kind, ByteView a, ByteView b, uint8_t* out) {
  Hasher hasher(kind);
  hasher.Update(a);
  hasher.Update(b);
  hasher.Final(out);
}

void Hmac(HashKind kind, ByteView key, ByteView data, uint8_t* out) {
  const size_t block_len = BlockLen(kind);
  const size_t hash_len = HashLen(kind);
  Secret<128> pad;  // the key padded to BLOCKLEN, then xored with ipad/opad
  if (key.size() > block_len) {
    Hash(kind, key, {}, pad.data());  // RFC 2104: long keys are hashed first
  } else if (!key.empty()) {
    std::memcpy(pad.data(), key.data(), key.size());
  }
  Secret<kMaxHashLen> inner;
  for (size_t i = 0; i < block_len; ++i) pad.bytes[i] ^= 0x36;
  Hash(kind, {pad.data(), block_len}, data, inner.data());
  for (size_t i = 0; i < block_len; ++i) pad.bytes[i] ^= 0x36 ^ 0x5c;
  Hash(kind, {pad.data(), block_len}, {inner.data(), hash_len}, out);
}

void Hkdf(HashKind kind, ByteView chaining_key, ByteView ikm, uint8_t* out1, uint8_t* out2,
          uint8_t* out3) {
  const size_t hash_len = HashLen(kind);
  Secret<kMaxHashLen> temp_key;
  Hmac(kind, chaining_key, ikm, temp_key.data());
  const ByteView temp{temp_key.data(), hash_len};
  // Each output is HMAC(temp_key, previous output || counter byte).
  Secret<kMaxHashLen + 1> input;
  input.bytes[0] = 0x01;
  Hmac(kind, temp, {input.data(), 1}, out1);
  std::memcpy(input.data(), out1, hash_len);
  input.bytes[hash_len] = 0x02;
  Hmac(kind, temp, {input.data(), hash_len + 1}, out2);
  if (out3 == nullptr) return;
  std::memcpy(input.data(), out2, hash_len);
  input.bytes[hash_len] = 0x03;
  Hmac(kind, temp, {input.data(), hash_len + 1}, out3);
}

bool Dh(const uint8_t secret[kDhLen], const uint8_t remote_public[kDhLen], uint8_t out[kDhLen]) {
  // libsodium already fails on an all-zero result; the explicit check keeps
  // the guarantee independent of the library version.
  if (crypto_scalarmult(out, secret, remote_public) != 0 || sodium_is_zero(out, kDhLen)) {
    Wipe(out, kDhLen);
    return false;
  }
  return true;
}

void DhPublicKey(const uint8_t secret[kDhLen], uint8_t public_key[kDhLen]) {
  crypto_scalarmult_base(public_key, secret);
}

}  // namespace sp::crypto::noise
