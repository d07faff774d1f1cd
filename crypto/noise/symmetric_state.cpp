#include "crypto/noise/symmetric_state.h"

#include <cstring>

namespace sp::crypto::noise {

void SymmetricState::Initialize(HashKind hash, CipherKind cipher, std::string_view protocol_name) {
  hash_ = hash;
  cipher_ = cipher;
  const size_t hash_len = HashLen(hash);
  std::memset(h_, 0, sizeof(h_));
  // Short names are used directly (zero padded), longer ones are hashed.
  if (protocol_name.size() <= hash_len) {
    std::memcpy(h_, protocol_name.data(), protocol_name.size());
  } else {
    Hash(hash, AsBytes(protocol_name), {}, h_);
  }
  std::memcpy(ck_.data(), h_, hash_len);
  cipher_state_ = CipherState();
}

void SymmetricState::MixKey(ByteView input_key_material) {
  const size_t hash_len = HashLen(hash_);
  Secret<kMaxHashLen> new_ck;
  Secret<kMaxHashLen> temp_k;
  Hkdf(hash_, {ck_.data(), hash_len}, input_key_material, new_ck.data(), temp_k.data(), nullptr);
  ck_ = new_ck;
  cipher_state_.InitializeKey(cipher_, temp_k.data());  // first 32 bytes if HASHLEN is 64
}

void SymmetricState::MixHash(ByteView data) {
  const size_t hash_len = HashLen(hash_);
  Hash(hash_, {h_, hash_len}, data, h_);
}

void SymmetricState::MixKeyAndHash(ByteView input_key_material) {
  const size_t hash_len = HashLen(hash_);
  Secret<kMaxHashLen> new_ck;
  Secret<kMaxHashLen> temp_h;
  Secret<kMaxHashLen> temp_k;
  Hkdf(hash_, {ck_.data(), hash_len}, input_key_material, new_ck.data(), temp_h.data(),
       temp_k.data());
  ck_ = new_ck;
  MixHash({temp_h.data(), hash_len});
  cipher_state_.InitializeKey(cipher_, temp_k.data());
}

bool SymmetricState::EncryptAndHash(ByteView plain, Bytes* out) {
  const size_t start = out->size();
  out->resize(start + plain.size() + Overhead());
  uint8_t* cipher = out->data() + start;
  if (!cipher_state_.EncryptWithAd(HandshakeHash(), plain, cipher)) {
    out->resize(start);
    return false;
  }
  MixHash({cipher, out->size() - start});
  return true;
}

bool SymmetricState::DecryptAndHash(ByteView cipher, uint8_t* out) {
  if (!cipher_state_.DecryptWithAd(HandshakeHash(), cipher, out)) return false;
  MixHash(cipher);  // h covers the ciphertext, so it stays public
  return true;
}

void SymmetricState::Split(CipherState* c1, CipherState* c2) const {
  const size_t hash_len = HashLen(hash_);
  Secret<kMaxHashLen> temp_k1;
  Secret<kMaxHashLen> temp_k2;
  Hkdf(hash_, {ck_.data(), hash_len}, {}, temp_k1.data(), temp_k2.data(), nullptr);
  c1->InitializeKey(cipher_, temp_k1.data());
  c2->InitializeKey(cipher_, temp_k2.data());
}

}  // namespace sp::crypto::noise
