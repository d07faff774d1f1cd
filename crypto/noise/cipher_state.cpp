#include "crypto/noise/cipher_state.h"

#include <sodium.h>

#include <cstring>

namespace sp::crypto::noise {

namespace {

constexpr uint64_t kMaxNonce = UINT64_MAX;  // reserved for Rekey()
constexpr size_t kNonceBytes = 12;

static_assert(crypto_aead_aes256gcm_NPUBBYTES == kNonceBytes);
static_assert(crypto_aead_chacha20poly1305_ietf_NPUBBYTES == kNonceBytes);
static_assert(crypto_aead_aes256gcm_ABYTES == kTagBytes);
static_assert(crypto_aead_chacha20poly1305_ietf_ABYTES == kTagBytes);

// Spec section 12: 32 zero bits, then n big-endian (AESGCM) or little-endian
// (ChaChaPoly), matching each cipher's internal block counter.
void EncodeNonce(CipherKind kind, uint64_t n, uint8_t out[kNonceBytes]) {
  std::memset(out, 0, 4);
  for (int i = 0; i < 8; ++i) {
    const auto byte = static_cast<uint8_t>(n >> (8 * i));
    if (kind == CipherKind::AesGcm) {
      out[11 - i] = byte;
    } else {
      out[4 + i] = byte;
    }
  }
}

const uint8_t* OrEmpty(ByteView v) {
  static const uint8_t kEmpty = 0;
  return v.empty() ? &kEmpty : v.data();
}

bool Encrypt(CipherKind kind, const uint8_t* key, uint64_t n, ByteView ad, ByteView plain,
             uint8_t* out) {
  uint8_t nonce[kNonceBytes];
  EncodeNonce(kind, n, nonce);
  unsigned long long out_len = 0;
  if (kind == CipherKind::AesGcm) {
    return crypto_aead_aes256gcm_encrypt(out, &out_len, OrEmpty(plain), plain.size(), OrEmpty(ad),
                                         ad.size(), nullptr, nonce, key) == 0;
  }
  return crypto_aead_chacha20poly1305_ietf_encrypt(out, &out_len, OrEmpty(plain), plain.size(),
                                                   OrEmpty(ad), ad.size(), nullptr, nonce,
                                                   key) == 0;
}

bool Decrypt(CipherKind kind, const uint8_t* key, uint64_t n, ByteView ad, ByteView cipher,
             uint8_t* out) {
  uint8_t nonce[kNonceBytes];
  EncodeNonce(kind, n, nonce);
  unsigned long long out_len = 0;
  if (kind == CipherKind::AesGcm) {
    return crypto_aead_aes256gcm_decrypt(out, &out_len, nullptr, cipher.data(), cipher.size(),
                                         OrEmpty(ad), ad.size(), nonce, key) == 0;
  }
  return crypto_aead_chacha20poly1305_ietf_decrypt(out, &out_len, nullptr, cipher.data(),
                                                   cipher.size(), OrEmpty(ad), ad.size(), nonce,
                                                   key) == 0;
}

}  // namespace

CipherState::~CipherState() = default;  // key_ wipes itself

void CipherState::InitializeKey(CipherKind kind, const uint8_t key[32]) {
  std::memcpy(key_.data(), key, 32);
  kind_ = kind;
  n_ = 0;
  has_key_ = true;
}

bool CipherState::EncryptWithAd(ByteView ad, ByteView plain, uint8_t* out) {
  if (!has_key_) {
    // Handshake semantics before the first DH: the "ciphertext" is the
    // plaintext itself, plain.size() bytes and no tag.
    if (!plain.empty()) std::memmove(out, plain.data(), plain.size());
    return true;
  }
  if (n_ == kMaxNonce) return false;
  if (!Encrypt(kind_, key_.data(), n_, ad, plain, out)) return false;
  ++n_;
  return true;
}

bool CipherState::DecryptWithAd(ByteView ad, ByteView cipher, uint8_t* out) {
  if (!has_key_) {
    // Mirror of EncryptWithAd without a key: writes cipher.size() bytes.
    if (!cipher.empty()) std::memmove(out, cipher.data(), cipher.size());
    return true;
  }
  if (n_ == kMaxNonce || cipher.size() < kTagBytes) return false;
  uint8_t scratch = 0;
  if (out == nullptr) out = &scratch;  // an empty plaintext may come with no buffer
  if (!Decrypt(kind_, key_.data(), n_, ad, cipher, out)) return false;
  ++n_;
  return true;
}

void CipherState::Rekey() {
  if (!has_key_) return;
  static const uint8_t kZeros[32] = {};
  uint8_t out[32 + kTagBytes];
  // Encrypt() only fails if AES-GCM is unavailable, which Create() rules out.
  if (Encrypt(kind_, key_.data(), kMaxNonce, {}, {kZeros, 32}, out)) {
    std::memcpy(key_.data(), out, 32);
  }
  Wipe(out, sizeof(out));
}

}  // namespace sp::crypto::noise
