#include "crypto/sealpost_noise.h"

#include <doctest/doctest.h>

#include <string>

#include "test_util.h"

namespace sp::crypto {
namespace {

using noise::Status;

struct Session {
  Transport client;
  Transport server;
};

// Runs the sealpost/1 XX handshake and returns both transports.
void Connect(std::string_view protocol, const KeyPair& client_key, const KeyPair& server_key,
             Session* out) {
  std::unique_ptr<noise::HandshakeState> client, server;
  REQUIRE(StartHandshake(protocol, true, client_key, &client) == Status::Ok);
  REQUIRE(StartHandshake(protocol, false, server_key, &server) == Status::Ok);
  Bytes wire, payload;
  REQUIRE(client->WriteMessage({}, &wire) == Status::Ok);
  REQUIRE(server->ReadMessage(wire, &payload) == Status::Ok);
  wire.clear();
  REQUIRE(server->WriteMessage({}, &wire) == Status::Ok);
  REQUIRE(client->ReadMessage(wire, &payload) == Status::Ok);
  wire.clear();
  REQUIRE(client->WriteMessage(test::BytesOf("client-id"), &wire) == Status::Ok);
  REQUIRE(server->ReadMessage(wire, &payload) == Status::Ok);
  CHECK(AsChars(payload) == "client-id");
  // The client pins the server key it received; the server learns the client's.
  CHECK(ConstantTimeEqual(*client->RemoteStatic(), server_key.Public()));
  CHECK(ConstantTimeEqual(*server->RemoteStatic(), client_key.Public()));
  REQUIRE(FinishHandshake(*client, true, &out->client) == Status::Ok);
  REQUIRE(FinishHandshake(*server, false, &out->server) == Status::Ok);
}

Bytes Seal(Transport& t, std::string_view text) {
  Bytes wire(text.size() + Transport::Overhead());
  REQUIRE(t.Encrypt(AsBytes(text), wire.data()));
  return wire;
}

bool Open(Transport& t, const Bytes& wire, std::string* text) {
  Bytes plain(wire.size() - Transport::Overhead() + 1);
  if (!t.Decrypt(wire, plain.data())) return false;
  plain.pop_back();
  text->assign(AsChars(plain));
  return true;
}

TEST_CASE("only the two sealpost suites are accepted") {
  CHECK(IsSealpostProtocol("Noise_XX_25519_AESGCM_SHA256"));
  CHECK(IsSealpostProtocol("Noise_XX_25519_ChaChaPoly_BLAKE2b"));
  CHECK_FALSE(IsSealpostProtocol("Noise_XX_25519_ChaChaPoly_SHA256"));
  CHECK_FALSE(IsSealpostProtocol("Noise_IK_25519_AESGCM_SHA256"));
  test::CryptoInit init;
  std::unique_ptr<noise::HandshakeState> hs;
  CHECK(StartHandshake("Noise_NN_25519_AESGCM_SHA256", true, GenerateKeyPair(), &hs) ==
        Status::UnsupportedProtocol);
  CHECK(hs == nullptr);
}

TEST_CASE("both sealpost suites carry messages both ways after the handshake") {
  test::CryptoInit init;
  for (std::string_view protocol : {kDefaultProtocol, kAltProtocol}) {
    CAPTURE(protocol);
    Session s;
    Connect(protocol, GenerateKeyPair(), GenerateKeyPair(), &s);
    std::string text;
    REQUIRE(Open(s.server, Seal(s.client, "hello server"), &text));
    CHECK(text == "hello server");
    REQUIRE(Open(s.client, Seal(s.server, "hello client"), &text));
    CHECK(text == "hello client");
    REQUIRE(Open(s.client, Seal(s.server, ""), &text));
    CHECK(text.empty());
    CHECK(s.client.SentCount() == 1);
    CHECK(s.client.ReceivedCount() == 2);
  }
}

TEST_CASE("the prologue binds the handshake to sealpost/1") {
  test::CryptoInit init;
  std::unique_ptr<noise::HandshakeState> client, other;
  REQUIRE(StartHandshake(kDefaultProtocol, true, GenerateKeyPair(), &client) == Status::Ok);
  noise::HandshakeConfig config;
  const KeyPair server_key = GenerateKeyPair();
  config.protocol_name = kDefaultProtocol;
  config.prologue = AsBytes("sealpost/2");
  config.local_static_secret = server_key.secret.data();
  REQUIRE(noise::HandshakeState::Create(config, &other) == Status::Ok);
  Bytes wire, payload;
  REQUIRE(client->WriteMessage({}, &wire) == Status::Ok);
  REQUIRE(other->ReadMessage(wire, &payload) == Status::Ok);
  wire.clear();
  REQUIRE(other->WriteMessage({}, &wire) == Status::Ok);
  CHECK(client->ReadMessage(wire, &payload) == Status::DecryptFailed);
}

TEST_CASE("transport rejects flipped bits, replays, reordering and short messages") {
  test::CryptoInit init;
  Session s;
  Connect(kDefaultProtocol, GenerateKeyPair(), GenerateKeyPair(), &s);
  std::string text;
  const Bytes first = Seal(s.client, "first");
  const Bytes second = Seal(s.client, "second");

  for (size_t bit = 0; bit < first.size() * 8; ++bit) {
    Bytes tampered = first;
    tampered[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    CHECK_FALSE(Open(s.server, tampered, &text));
  }
  CHECK_FALSE(Open(s.server, second, &text));  // reordered: nonce 1 arrives first
  CHECK(s.server.ReceivedCount() == 0);        // failures do not move the nonce
  REQUIRE(Open(s.server, first, &text));
  CHECK(text == "first");
  CHECK_FALSE(Open(s.server, first, &text));  // replayed
  REQUIRE(Open(s.server, second, &text));
  CHECK(text == "second");

  uint8_t out[1];
  CHECK_FALSE(s.server.Decrypt(Bytes(Transport::Overhead() - 1), out));
  Bytes huge(noise::kMaxMessageBytes + 1);
  CHECK_FALSE(s.client.Encrypt(ByteView(huge).first(Transport::MaxPlaintext() + 1), huge.data()));
  CHECK_FALSE(s.server.Decrypt(huge, huge.data()));
}

TEST_CASE("a message from the wrong direction does not decrypt") {
  test::CryptoInit init;
  Session s;
  Connect(kAltProtocol, GenerateKeyPair(), GenerateKeyPair(), &s);
  std::string text;
  const Bytes from_client = Seal(s.client, "to server");
  CHECK_FALSE(Open(s.client, from_client, &text));  // c1 and c2 differ
}

TEST_CASE("transport rekeys every kRekeyInterval messages and both sides stay in step") {
  test::CryptoInit init;
  Session s;
  Connect(kDefaultProtocol, GenerateKeyPair(), GenerateKeyPair(), &s);
  std::string text;
  // Walk the client->server direction to the boundary through the public API.
  for (uint64_t i = 0; i < kRekeyInterval; ++i) {
    Bytes wire(Transport::Overhead());
    REQUIRE(s.client.Encrypt({}, wire.data()));
    uint8_t none[1];
    REQUIRE(s.server.Decrypt(wire, none));
  }
  CHECK(s.client.SentCount() == kRekeyInterval);
  const Bytes boundary = Seal(s.client, "after rekey");
  // A forged message at the boundary must not rekey the receiver early.
  Bytes forged = boundary;
  forged[0] ^= 1;
  CHECK_FALSE(Open(s.server, forged, &text));
  REQUIRE(Open(s.server, boundary, &text));
  CHECK(text == "after rekey");
  REQUIRE(Open(s.server, Seal(s.client, "and after"), &text));
  CHECK(text == "and after");
  REQUIRE(Open(s.client, Seal(s.server, "other direction"), &text));
  CHECK(text == "other direction");
}

TEST_CASE("the rekeyed key differs from the original at the same nonce") {
  test::CryptoInit init;
  const uint8_t key[32] = {7};
  noise::CipherState send, plain_copy;
  send.InitializeKey(noise::CipherKind::AesGcm, key);
  send.SetNonce(kRekeyInterval);
  plain_copy = send;
  Transport t(send, send);
  Bytes via_transport(5 + Transport::Overhead());
  REQUIRE(t.Encrypt(AsBytes("hello"), via_transport.data()));
  Bytes without_rekey(5 + Transport::Overhead());
  REQUIRE(plain_copy.EncryptWithAd({}, AsBytes("hello"), without_rekey.data()));
  CHECK(via_transport != without_rekey);
  noise::CipherState rekeyed = send;
  rekeyed.Rekey();
  Bytes expected(5 + Transport::Overhead());
  REQUIRE(rekeyed.EncryptWithAd({}, AsBytes("hello"), expected.data()));
  CHECK(via_transport == expected);
}

TEST_CASE("a Transport holds no heap memory and stays small") {
  // Two cipher states of a 32-byte key, a nonce and a kind; no pointers.
  CHECK(sizeof(Transport) <= 128);
}

}  // namespace
}  // namespace sp::crypto
