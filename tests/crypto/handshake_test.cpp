#include "crypto/noise/handshake_state.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "crypto/noise/patterns.h"
#include "noise_pair.h"
#include "test_util.h"

namespace sp::crypto::noise {
namespace {

using test::NoisePair;

const char* const kOneWay[] = {"N", "K", "X"};
const char* const kInteractive[] = {"NN", "NK", "NX", "XN", "XK", "XX",
                                    "KN", "KK", "KX", "IN", "IK", "IX"};
const char* const kDeferred[] = {"NK1",  "NX1", "X1N", "X1K",  "XK1",  "X1K1", "X1X", "XX1",
                                 "X1X1", "K1N", "K1K", "KK1",  "K1K1", "K1X",  "KX1", "K1X1",
                                 "I1N",  "I1K", "IK1", "I1K1", "I1X",  "IX1",  "I1X1"};
const char* const kSuites[] = {"25519_ChaChaPoly_SHA256", "25519_AESGCM_SHA512",
                               "25519_ChaChaPoly_BLAKE2s", "25519_AESGCM_BLAKE2b"};

// The letters of a pattern name say what each side learns about the other's
// static key: N nothing, K known in advance, X/I transmitted.
bool InitiatorLearnsRemoteStatic(const std::string& base, bool one_way) {
  if (one_way) return true;  // N, K and X all pre-know the responder's key
  const char responder = base[1] == '1' ? base[2] : base[1];
  return responder != 'N';
}
bool ResponderLearnsRemoteStatic(const std::string& base) {
  return base[0] != 'N';
}

std::string BaseOf(const std::string& pattern) {
  size_t n = 0;
  while (n < pattern.size() && (std::isupper(pattern[n]) || std::isdigit(pattern[n]))) ++n;
  return pattern.substr(0, n);
}

// One transport message each way (one-way patterns: initiator -> responder only).
void CheckTransport(NoisePair& pair, bool one_way) {
  CipherState i1, i2, r1, r2;
  REQUIRE(pair.init->Split(&i1, &i2) == Status::Ok);
  REQUIRE(pair.resp->Split(&r1, &r2) == Status::Ok);
  const Bytes msg = test::BytesOf("transport data");
  Bytes wire(msg.size() + kTagBytes), out(msg.size());
  REQUIRE(i1.EncryptWithAd({}, msg, wire.data()));
  REQUIRE(r1.DecryptWithAd({}, wire, out.data()));
  CHECK(out == msg);
  if (one_way) return;
  REQUIRE(r2.EncryptWithAd({}, msg, wire.data()));
  REQUIRE(i2.DecryptWithAd({}, wire, out.data()));
  CHECK(out == msg);
}

void CheckRoundTrip(const std::string& pattern, const std::string& suite) {
  const std::string name = "Noise_" + pattern + "_" + suite;
  CAPTURE(name);
  NoisePair pair(name);
  REQUIRE(pair.Create() == Status::Ok);
  REQUIRE(pair.Complete());
  CHECK(pair.init->IsComplete());
  CHECK(pair.resp->IsComplete());
  CHECK(test::ToHex(pair.init->HandshakeHash()) == test::ToHex(pair.resp->HandshakeHash()));
  const std::string base = BaseOf(pattern);
  const bool one_way = base.size() == 1;
  if (InitiatorLearnsRemoteStatic(base, one_way)) {
    REQUIRE(pair.init->RemoteStatic().has_value());
    CHECK(ConstantTimeEqual(*pair.init->RemoteStatic(), pair.resp_static.Public()));
  } else {
    CHECK_FALSE(pair.init->RemoteStatic().has_value());
  }
  if (ResponderLearnsRemoteStatic(base)) {
    REQUIRE(pair.resp->RemoteStatic().has_value());
    CHECK(ConstantTimeEqual(*pair.resp->RemoteStatic(), pair.init_static.Public()));
  }
  CheckTransport(pair, one_way);
}

TEST_CASE("every one-way and fundamental interactive pattern completes with every hash") {
  test::CryptoInit init;
  for (const char* suite : kSuites) {
    for (const char* p : kOneWay) CheckRoundTrip(p, suite);
    for (const char* p : kInteractive) CheckRoundTrip(p, suite);
  }
}

TEST_CASE("every deferred pattern completes") {
  test::CryptoInit init;
  for (const char* p : kDeferred) CheckRoundTrip(p, "25519_ChaChaPoly_BLAKE2s");
}

TEST_CASE("psk modifiers complete at every position, alone and combined") {
  test::CryptoInit init;
  const char* const patterns[] = {"NNpsk0",      "NNpsk2",           "NKpsk0", "NXpsk2",
                                  "XXpsk3",      "XXpsk0+psk3",      "IKpsk1", "IKpsk2",
                                  "KKpsk0+psk2", "NXpsk0+psk1+psk2", "Npsk0",  "Kpsk0",
                                  "Xpsk1",       "X1X1psk4",         "IXpsk2"};
  for (const char* p : patterns) CheckRoundTrip(p, "25519_AESGCM_SHA256");
}

TEST_CASE("a psk mismatch makes the handshake fail") {
  test::CryptoInit init;
  NoisePair pair("Noise_NNpsk0_25519_ChaChaPoly_SHA256");
  HandshakeConfig ic = pair.Config(true, nullptr);
  HandshakeConfig rc = pair.Config(false, nullptr);
  const Bytes other(32, 0x42);
  rc.psks[0] = other;
  REQUIRE(HandshakeState::Create(ic, &pair.init) == Status::Ok);
  REQUIRE(HandshakeState::Create(rc, &pair.resp) == Status::Ok);
  Bytes wire, payload;
  CHECK(pair.Step(test::BytesOf("x"), &wire, &payload) == Status::DecryptFailed);
}

TEST_CASE("protocol names are parsed strictly") {
  test::CryptoInit init;
  for (const char* good :
       {"Noise_XX_25519_AESGCM_SHA256", "Noise_XX_25519_ChaChaPoly_BLAKE2b",
        "Noise_NNpsk0+psk2_25519_ChaChaPoly_BLAKE2s", "Noise_X1X1_25519_AESGCM_SHA512",
        "Noise_N_25519_ChaChaPoly_SHA256", "Noise_XXpsk3_25519_AESGCM_SHA256"}) {
    CAPTURE(good);
    CHECK(IsSupportedProtocol(good));
  }
  for (const char* bad : {"",
                          "Noise",
                          "Noise_XX_25519_AESGCM",
                          "Noise_XX_25519_AESGCM_SHA256_",
                          "noise_XX_25519_AESGCM_SHA256",
                          "Noise_XX_25519_AESGCM_SHA256_extra",
                          "Noise__25519_AESGCM_SHA256",
                          "Noise_XX_25519_AES_SHA256",
                          "Noise_XX_25519_AESGCM_SHA1",
                          "Noise_XX_x25519_AESGCM_SHA256",
                          "Noise_XX_448_AESGCM_SHA256",
                          "Noise_XXfallback_25519_AESGCM_SHA256",
                          "Noise_NNhfs_25519+Kyber1024_AESGCM_SHA256",
                          "Noise_NNpsk_25519_AESGCM_SHA256",
                          "Noise_NNpsk3_25519_AESGCM_SHA256",
                          "Noise_NNpsk0+psk0_25519_AESGCM_SHA256",
                          "Noise_NNpsk0+_25519_AESGCM_SHA256",
                          "Noise_NNpsk01_25519_AESGCM_SHA256",
                          "Noise_NE_25519_AESGCM_SHA256",
                          "Noise_Xpsk2_25519_AESGCM_SHA256",
                          "Noise_xx_25519_AESGCM_SHA256",
                          "Noise_1X_25519_AESGCM_SHA256"}) {
    CAPTURE(bad);
    CHECK_FALSE(IsSupportedProtocol(bad));
  }
}

TEST_CASE("Create distinguishes malformed names, unsupported primitives and missing keys") {
  test::CryptoInit init;
  std::unique_ptr<HandshakeState> hs;
  HandshakeConfig config;
  config.protocol_name = "Noise_XX_25519_AESGCM";
  CHECK(HandshakeState::Create(config, &hs) == Status::BadProtocolName);
  config.protocol_name = "Noise_XX_448_AESGCM_SHA256";
  CHECK(HandshakeState::Create(config, &hs) == Status::UnsupportedProtocol);
  config.protocol_name = "Noise_XXfallback_25519_AESGCM_SHA256";
  CHECK(HandshakeState::Create(config, &hs) == Status::UnsupportedProtocol);
  config.protocol_name = "Noise_XX_25519_AESGCM_SHA256";
  config.initiator = true;
  CHECK(HandshakeState::Create(config, &hs) == Status::MissingKey);  // XX needs s
  CHECK(hs == nullptr);
  config.protocol_name = "Noise_NK_25519_AESGCM_SHA256";
  CHECK(HandshakeState::Create(config, &hs) == Status::MissingKey);  // NK needs rs
  config.protocol_name = "Noise_NNpsk0_25519_AESGCM_SHA256";
  CHECK(HandshakeState::Create(config, &hs) == Status::MissingKey);  // no psk
  const Bytes short_psk(16, 1);
  config.psks.push_back(short_psk);
  CHECK(HandshakeState::Create(config, &hs) == Status::MissingKey);  // psk must be 32 bytes
  config.protocol_name = "Noise_NN_25519_AESGCM_SHA256";
  CHECK(HandshakeState::Create(config, &hs) == Status::Ok);
  CHECK(std::string(Describe(Status::DecryptFailed)) == "decryption failed");
}

TEST_CASE("a fixed ephemeral key makes WriteMessage deterministic") {
  test::CryptoInit init;
  const KeyPair e = GenerateKeyPair();
  Bytes first, second;
  for (Bytes* out : {&first, &second}) {
    HandshakeConfig config;
    config.protocol_name = "Noise_NN_25519_ChaChaPoly_SHA256";
    config.initiator = true;
    config.local_ephemeral_secret = e.secret.data();
    std::unique_ptr<HandshakeState> hs;
    REQUIRE(HandshakeState::Create(config, &hs) == Status::Ok);
    REQUIRE(hs->WriteMessage(test::BytesOf("p"), out) == Status::Ok);
  }
  CHECK(first == second);
  CHECK(test::ToHex(ByteView(first).first(32)) == test::ToHex(e.Public()));
}

TEST_CASE("a pattern's token table follows the spec's text") {
  HandshakePattern p;
  REQUIRE(ParsePattern("IKpsk2", &p) == Status::Ok);
  CHECK_FALSE(p.initiator_pre_s);
  CHECK(p.responder_pre_s);
  REQUIRE(p.message_count == 2);
  const std::vector<Token> m0(p.messages[0].tokens, p.messages[0].tokens + p.messages[0].count);
  const std::vector<Token> m1(p.messages[1].tokens, p.messages[1].tokens + p.messages[1].count);
  CHECK(m0 == std::vector<Token>{Token::E, Token::ES, Token::S, Token::SS});
  CHECK(m1 == std::vector<Token>{Token::E, Token::EE, Token::SE, Token::Psk});
  REQUIRE(ParsePattern("NNpsk0", &p) == Status::Ok);
  CHECK(p.messages[0].tokens[0] == Token::Psk);
  CHECK(p.psk_count == 1);
}

}  // namespace
}  // namespace sp::crypto::noise
