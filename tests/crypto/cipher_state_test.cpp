#include "crypto/noise/cipher_state.h"

#include <doctest/doctest.h>
#include <sodium.h>

#include <cstring>

#include "test_util.h"

namespace sp::crypto::noise {
namespace {

using test::BytesOf;

const uint8_t kKey[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                          17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

// Reference encryption straight from libsodium with an explicit 96-bit nonce.
Bytes Reference(CipherKind kind, const uint8_t key[32], const uint8_t nonce[12], ByteView ad,
                ByteView plain) {
  Bytes out(plain.size() + kTagBytes);
  unsigned long long len = 0;
  if (kind == CipherKind::AesGcm) {
    crypto_aead_aes256gcm_encrypt(out.data(), &len, plain.data(), plain.size(), ad.data(),
                                  ad.size(), nullptr, nonce, key);
  } else {
    crypto_aead_chacha20poly1305_ietf_encrypt(out.data(), &len, plain.data(), plain.size(),
                                              ad.data(), ad.size(), nullptr, nonce, key);
  }
  return out;
}

Bytes Encrypt(CipherState& cs, ByteView ad, ByteView plain) {
  Bytes out(plain.size() + kTagBytes);
  REQUIRE(cs.EncryptWithAd(ad, plain, out.data()));
  return out;
}

TEST_CASE("AESGCM puts the nonce big-endian and ChaChaPoly little-endian after 4 zero bytes") {
  test::CryptoInit init;
  REQUIRE(crypto_aead_aes256gcm_is_available());
  const Bytes plain = BytesOf("payload");
  const Bytes ad = BytesOf("ad");
  const uint64_t n = 0x0102030405060708ull;
  const uint8_t big[12] = {0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8};
  const uint8_t little[12] = {0, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1};
  CipherState aes;
  aes.InitializeKey(CipherKind::AesGcm, kKey);
  aes.SetNonce(n);
  CHECK(Encrypt(aes, ad, plain) == Reference(CipherKind::AesGcm, kKey, big, ad, plain));
  CHECK(aes.Nonce() == n + 1);
  CipherState chacha;
  chacha.InitializeKey(CipherKind::ChaChaPoly, kKey);
  chacha.SetNonce(n);
  CHECK(Encrypt(chacha, ad, plain) == Reference(CipherKind::ChaChaPoly, kKey, little, ad, plain));
}

TEST_CASE("without a key the cipher state passes data through unchanged") {
  CipherState cs;
  CHECK_FALSE(cs.HasKey());
  const Bytes plain = BytesOf("clear");
  Bytes out(plain.size());
  REQUIRE(cs.EncryptWithAd(BytesOf("ad"), plain, out.data()));
  CHECK(out == plain);
  Bytes back(plain.size());
  REQUIRE(cs.DecryptWithAd(BytesOf("ad"), out, back.data()));  // writes cipher.size() bytes
  CHECK(back == plain);
  CHECK(cs.Nonce() == 0);
}

TEST_CASE("decryption round-trips and rejects a wrong tag, ad or nonce") {
  test::CryptoInit init;
  for (CipherKind kind : {CipherKind::AesGcm, CipherKind::ChaChaPoly}) {
    CipherState tx, rx;
    tx.InitializeKey(kind, kKey);
    rx.InitializeKey(kind, kKey);
    const Bytes plain = BytesOf("hello noise");
    Bytes wire = Encrypt(tx, BytesOf("ad"), plain);
    Bytes out(plain.size());
    CHECK_FALSE(rx.DecryptWithAd(BytesOf("other ad"), wire, out.data()));
    CHECK(rx.Nonce() == 0);  // failures do not advance the nonce
    wire[3] ^= 0x01;
    CHECK_FALSE(rx.DecryptWithAd(BytesOf("ad"), wire, out.data()));
    wire[3] ^= 0x01;
    REQUIRE(rx.DecryptWithAd(BytesOf("ad"), wire, out.data()));
    CHECK(out == plain);
    CHECK(rx.Nonce() == 1);
    CHECK_FALSE(rx.DecryptWithAd(BytesOf("ad"), wire, out.data()));       // replay: nonce moved on
    CHECK_FALSE(rx.DecryptWithAd({}, Bytes(kTagBytes - 1), out.data()));  // shorter than a tag
  }
}

TEST_CASE("encryption and decryption work in place") {
  test::CryptoInit init;
  for (CipherKind kind : {CipherKind::AesGcm, CipherKind::ChaChaPoly}) {
    CipherState a, b, c;
    a.InitializeKey(kind, kKey);
    b.InitializeKey(kind, kKey);
    c.InitializeKey(kind, kKey);
    Bytes plain(1000);
    for (size_t i = 0; i < plain.size(); ++i) plain[i] = static_cast<uint8_t>(i);
    const Bytes expected = Encrypt(a, {}, plain);
    Bytes buf = plain;
    buf.resize(plain.size() + kTagBytes);
    REQUIRE(b.EncryptWithAd({}, {buf.data(), plain.size()}, buf.data()));
    CHECK(buf == expected);
    REQUIRE(c.DecryptWithAd({}, buf, buf.data()));
    buf.resize(plain.size());
    CHECK(buf == plain);
  }
}

TEST_CASE("the nonce 2^64-1 is reserved and never used for a message") {
  test::CryptoInit init;
  CipherState cs;
  cs.InitializeKey(CipherKind::ChaChaPoly, kKey);
  cs.SetNonce(UINT64_MAX - 1);
  Bytes out(kTagBytes);
  CHECK(cs.EncryptWithAd({}, {}, out.data()));
  CHECK(cs.Nonce() == UINT64_MAX);
  CHECK_FALSE(cs.EncryptWithAd({}, {}, out.data()));
  CHECK_FALSE(cs.DecryptWithAd({}, out, out.data()));
  CHECK(cs.Nonce() == UINT64_MAX);
}

TEST_CASE("Rekey replaces the key with ENCRYPT(k, 2^64-1, empty, zeros)[0..32]") {
  test::CryptoInit init;
  const struct {
    CipherKind kind;
    uint8_t nonce[12];
  } cases[] = {
      {CipherKind::AesGcm, {0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
      {CipherKind::ChaChaPoly, {0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
  };
  for (const auto& c : cases) {
    const Bytes zeros(32, 0);
    const Bytes stream = Reference(c.kind, kKey, c.nonce, {}, zeros);
    uint8_t new_key[32];
    std::memcpy(new_key, stream.data(), 32);

    CipherState rekeyed;
    rekeyed.InitializeKey(c.kind, kKey);
    rekeyed.SetNonce(5);
    rekeyed.Rekey();
    CHECK(rekeyed.Nonce() == 5);  // REKEY leaves n alone
    CipherState expected;
    expected.InitializeKey(c.kind, new_key);
    expected.SetNonce(5);
    CipherState old_key;
    old_key.InitializeKey(c.kind, kKey);
    old_key.SetNonce(5);

    const Bytes plain = BytesOf("after rekey");
    const Bytes got = Encrypt(rekeyed, {}, plain);
    CHECK(got == Encrypt(expected, {}, plain));
    CHECK(got != Encrypt(old_key, {}, plain));
  }
}

}  // namespace
}  // namespace sp::crypto::noise
