#include <doctest/doctest.h>

#include <string>

#include "crypto/noise/handshake_state.h"
#include "noise_pair.h"
#include "test_util.h"

namespace sp::crypto::noise {
namespace {

using test::NoisePair;

// Runs `pattern` up to message `target`, flips one bit of that message and
// checks the receiver rejects it and refuses to continue afterwards.
void CheckFlippedBitRejected(const std::string& protocol, size_t target, size_t bit) {
  CAPTURE(protocol);
  CAPTURE(target);
  CAPTURE(bit);
  NoisePair pair(protocol);
  REQUIRE(pair.Create() == Status::Ok);
  Bytes wire, payload;
  for (size_t i = 0; i < target; ++i) {
    REQUIRE(pair.Step(test::BytesOf("ok"), &wire, &payload) == Status::Ok);
  }
  HandshakeState& writer = pair.init->IsMyTurn() ? *pair.init : *pair.resp;
  HandshakeState& reader = pair.init->IsMyTurn() ? *pair.resp : *pair.init;
  wire.clear();
  REQUIRE(writer.WriteMessage(test::BytesOf("payload"), &wire) == Status::Ok);
  REQUIRE(bit / 8 < wire.size());
  wire[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
  payload.clear();
  const Status status = reader.ReadMessage(wire, &payload);
  CHECK(status != Status::Ok);
  CHECK(payload.empty());
  wire[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
  CHECK(reader.ReadMessage(wire, &payload) == Status::WrongState);  // the state is spent
}

TEST_CASE("a flipped bit anywhere in any XX handshake message is rejected") {
  test::CryptoInit init;
  // Messages 2 and 3 of XX are fully authenticated (sizes with a 7-byte
  // payload: 32 + 48 + 23 and 48 + 23). Message 1 travels in the clear; see
  // the next test for how tampering with it is caught.
  for (const char* suite : {"AESGCM_SHA256", "ChaChaPoly_BLAKE2b"}) {
    const std::string name = std::string("Noise_XX_25519_") + suite;
    for (size_t bit = 0; bit < (32 + 48 + 23) * 8; bit += 13) CheckFlippedBitRejected(name, 1, bit);
    for (size_t bit = 0; bit < (48 + 23) * 8; bit += 11) CheckFlippedBitRejected(name, 2, bit);
  }
}

TEST_CASE("a flipped bit in each IK and NK message is rejected") {
  test::CryptoInit init;
  for (size_t bit = 0; bit < (32 + 48 + 23) * 8; bit += 7) {
    CheckFlippedBitRejected("Noise_IK_25519_ChaChaPoly_SHA256", 0, bit);
  }
  for (size_t bit = 0; bit < (32 + 23) * 8; bit += 5) {
    CheckFlippedBitRejected("Noise_IK_25519_ChaChaPoly_SHA256", 1, bit);
    CheckFlippedBitRejected("Noise_NK_25519_AESGCM_BLAKE2s", 0, bit);
  }
}

TEST_CASE("tampering with an unencrypted first message breaks the handshake") {
  test::CryptoInit init;
  // XX message 1 carries e and the payload in the clear; the responder
  // cannot detect the change, but the transcripts now differ, so the
  // initiator rejects the responder's reply.
  for (size_t byte : {0u, 31u, 32u, 38u}) {
    NoisePair pair("Noise_XX_25519_ChaChaPoly_SHA256");
    REQUIRE(pair.Create() == Status::Ok);
    Bytes wire, payload;
    REQUIRE(pair.init->WriteMessage(test::BytesOf("payload"), &wire) == Status::Ok);
    wire[byte] ^= 0x80;
    REQUIRE(pair.resp->ReadMessage(wire, &payload) == Status::Ok);
    wire.clear();
    REQUIRE(pair.resp->WriteMessage({}, &wire) == Status::Ok);
    CHECK(pair.init->ReadMessage(wire, &payload) == Status::DecryptFailed);
  }
}

TEST_CASE("IK with the wrong responder key fails at the responder") {
  test::CryptoInit init;
  NoisePair pair("Noise_IK_25519_AESGCM_SHA256");
  const KeyPair wrong = GenerateKeyPair();
  REQUIRE(HandshakeState::Create(pair.Config(true, wrong.public_key), &pair.init) == Status::Ok);
  REQUIRE(HandshakeState::Create(pair.Config(false, nullptr), &pair.resp) == Status::Ok);
  Bytes wire, payload;
  CHECK(pair.Step(test::BytesOf("hi"), &wire, &payload) == Status::DecryptFailed);
}

TEST_CASE("KK with the wrong initiator key fails") {
  test::CryptoInit init;
  NoisePair pair("Noise_KK_25519_ChaChaPoly_SHA512");
  const KeyPair wrong = GenerateKeyPair();
  REQUIRE(HandshakeState::Create(pair.Config(true, pair.resp_static.public_key), &pair.init) ==
          Status::Ok);
  REQUIRE(HandshakeState::Create(pair.Config(false, wrong.public_key), &pair.resp) == Status::Ok);
  Bytes wire, payload;
  CHECK(pair.Step(test::BytesOf("hi"), &wire, &payload) == Status::DecryptFailed);
}

TEST_CASE("short, oversized and out-of-turn handshake messages are rejected") {
  test::CryptoInit init;
  NoisePair pair("Noise_XX_25519_AESGCM_SHA256");
  REQUIRE(pair.Create() == Status::Ok);
  Bytes wire, payload;
  CHECK(pair.resp->WriteMessage({}, &wire) == Status::WrongState);  // responder speaks second
  CHECK(wire.empty());
  CHECK(pair.init->ReadMessage(Bytes(32), &payload) == Status::WrongState);
  REQUIRE(pair.init->WriteMessage({}, &wire) == Status::Ok);
  CHECK(wire.size() == 32);
  CHECK(pair.init->WriteMessage({}, &wire) == Status::WrongState);

  CHECK(pair.resp->ReadMessage(ByteView(wire).first(31), &payload) == Status::BadMessage);
  REQUIRE(pair.Create() == Status::Ok);
  CHECK(pair.resp->ReadMessage(Bytes(kMaxMessageBytes + 1), &payload) == Status::BadMessage);

  // Second message: e (32) + encrypted s (48) + tag (16) at least.
  REQUIRE(pair.Create() == Status::Ok);
  wire.clear();
  REQUIRE(pair.init->WriteMessage({}, &wire) == Status::Ok);
  REQUIRE(pair.resp->ReadMessage(wire, &payload) == Status::Ok);
  wire.clear();
  REQUIRE(pair.resp->WriteMessage({}, &wire) == Status::Ok);
  CHECK(wire.size() == 96);
  CHECK(pair.init->ReadMessage(ByteView(wire).first(95), &payload) == Status::BadMessage);
}

TEST_CASE("a payload that would exceed 65535 bytes is refused without side effects") {
  test::CryptoInit init;
  NoisePair pair("Noise_NN_25519_ChaChaPoly_SHA256");
  REQUIRE(pair.Create() == Status::Ok);
  Bytes wire = {1, 2, 3};
  CHECK(pair.init->WriteMessage(Bytes(kMaxMessageBytes - 31), &wire) == Status::BadMessage);
  CHECK(wire == Bytes{1, 2, 3});
  CHECK(pair.init->IsMyTurn());
  wire.clear();
  REQUIRE(pair.init->WriteMessage(Bytes(kMaxMessageBytes - 32), &wire) == Status::Ok);
  CHECK(wire.size() == kMaxMessageBytes);
}

TEST_CASE("a low-order ephemeral key is rejected with BadPublicKey") {
  test::CryptoInit init;
  NoisePair pair("Noise_NN_25519_ChaChaPoly_SHA256");
  REQUIRE(pair.Create() == Status::Ok);
  Bytes wire, payload;
  REQUIRE(pair.init->WriteMessage({}, &wire) == Status::Ok);
  REQUIRE(pair.resp->ReadMessage(wire, &payload) == Status::Ok);
  wire.clear();
  REQUIRE(pair.resp->WriteMessage({}, &wire) == Status::Ok);
  std::fill(wire.begin(), wire.begin() + 32, 0);  // the all-zero point has order 1
  CHECK(pair.init->ReadMessage(wire, &payload) == Status::BadPublicKey);
}

TEST_CASE("Split before the handshake completes is refused") {
  test::CryptoInit init;
  NoisePair pair("Noise_NN_25519_ChaChaPoly_SHA256");
  REQUIRE(pair.Create() == Status::Ok);
  CipherState c1, c2;
  CHECK(pair.init->Split(&c1, &c2) == Status::WrongState);
  CHECK_FALSE(c1.HasKey());
}

}  // namespace
}  // namespace sp::crypto::noise
