// The sealpost/1 handshake between the real initiator (client/) and responder
// (connections/) objects over an in-memory pipe of frames, fed to the frame
// decoder in small pieces as a socket would.
#include <doctest/doctest.h>

#include <random>

#include "client/handshake_initiator.h"
#include "connections/handshake_responder.h"
#include "shared/frame_decoder.h"
#include "shared/messages.h"
#include "shared/protocol.h"

using sealpost::HandshakeInitiator;
using sp::connections::HandshakeResponder;
namespace crypto = sp::crypto;

namespace {

// Carries frames one way, re-chunked randomly, through a FrameDecoder.
std::vector<std::string> ThroughPipe(const std::vector<std::string>& frames, unsigned seed) {
  std::string wire;
  for (const auto& f : frames) sp::proto::AppendFrame(f, &wire);
  std::mt19937 rng(seed);
  sp::proto::FrameDecoder decoder(1 << 20);
  std::vector<std::string> out;
  size_t off = 0;
  while (off < wire.size()) {
    size_t n = std::min<size_t>(wire.size() - off, 1 + rng() % 7);
    decoder.Feed(std::string_view(wire).substr(off, n));
    off += n;
    std::string_view frame;
    while (decoder.Next(&frame) == sp::proto::FrameStatus::Frame) out.emplace_back(frame);
  }
  return out;
}

std::string One(const std::string& frame, unsigned seed) {
  auto out = ThroughPipe({frame}, seed);
  REQUIRE(out.size() == 1);
  return out[0];
}

crypto::Bytes Pk(const crypto::KeyPair& k) {
  return {k.public_key, k.public_key + 32};
}

// Flips one bit inside the base64 "msg" of a handshake frame.
std::string FlipInMsg(const std::string& frame, size_t byte_index) {
  auto hs = std::get<sp::proto::Handshake>(sp::proto::ParseHandshake(frame));
  crypto::Bytes msg;
  REQUIRE(crypto::Base64Decode(hs.msg, &msg));
  msg[byte_index % msg.size()] ^= 0x04;
  hs.msg = crypto::Base64Encode(msg);
  return sp::proto::Serialize(hs);
}

size_t MsgSize(const std::string& frame) {
  auto hs = std::get<sp::proto::Handshake>(sp::proto::ParseHandshake(frame));
  crypto::Bytes msg;
  REQUIRE(crypto::Base64Decode(hs.msg, &msg));
  return msg.size();
}

struct Outcome {
  bool completed = false;
  HandshakeInitiator::Result initiator = HandshakeInitiator::Result::Ok;
  HandshakeResponder::StepKind responder = HandshakeResponder::StepKind::Reply;
  std::string client;
  std::string remote_pk;
  crypto::Transport client_transport;
  crypto::Transport server_transport;
};

// Runs the three messages; `tamper` may rewrite frame k (1..3) in transit.
template <class Tamper>
Outcome Run(const crypto::KeyPair& server, const crypto::KeyPair& client, crypto::Bytes pinned,
            Tamper tamper, unsigned seed = 1) {
  Outcome o;
  HandshakeInitiator init(std::string(crypto::kDefaultProtocol), client, "dev-42",
                          std::move(pinned));
  HandshakeResponder resp(server);
  std::string f1, f3;
  REQUIRE(init.Start(&f1) == HandshakeInitiator::Result::Ok);
  auto s2 = resp.OnFrame(One(tamper(1, f1), seed));
  o.responder = s2.kind;
  if (s2.kind != HandshakeResponder::StepKind::Reply) return o;
  o.initiator = init.OnFrame(One(tamper(2, s2.frame), seed + 1), &f3, &o.client_transport);
  if (o.initiator != HandshakeInitiator::Result::Ok) return o;
  auto s3 = resp.OnFrame(One(tamper(3, f3), seed + 2));
  o.responder = s3.kind;
  if (s3.kind != HandshakeResponder::StepKind::Authenticate) return o;
  REQUIRE(resp.TakeTransport(&o.server_transport));
  o.client = s3.client;
  o.remote_pk = s3.remote_pk;
  o.completed = true;
  return o;
}

auto kNoTamper = [](int, const std::string& f) { return f; };

}  // namespace

TEST_CASE("initiator and responder complete the handshake and talk both ways") {
  REQUIRE(crypto::InitCrypto());
  auto server = crypto::GenerateKeyPair();
  auto client = crypto::GenerateKeyPair();
  Outcome o = Run(server, client, Pk(server), kNoTamper);
  REQUIRE(o.completed);
  CHECK(o.client == "dev-42");
  CHECK(o.remote_pk == crypto::PublicKeyBase64(client));

  std::string hello = R"({"type":"ping","ts":1})";
  std::string cipher(hello.size() + 16, '\0');
  std::string plain(hello.size(), '\0');
  auto* c = reinterpret_cast<uint8_t*>(cipher.data());
  auto* p = reinterpret_cast<uint8_t*>(plain.data());
  REQUIRE(o.client_transport.Encrypt(crypto::AsBytes(hello), c));
  REQUIRE(o.server_transport.Decrypt({c, cipher.size()}, p));
  CHECK(plain == hello);
  REQUIRE(o.server_transport.Encrypt(crypto::AsBytes(hello), c));
  REQUIRE(o.client_transport.Decrypt({c, cipher.size()}, p));
  CHECK(plain == hello);
}

TEST_CASE("a wrong pinned server key is rejected before the client reveals its id") {
  auto server = crypto::GenerateKeyPair();
  auto client = crypto::GenerateKeyPair();
  auto impostor = crypto::GenerateKeyPair();
  Outcome o = Run(impostor, client, Pk(server), kNoTamper);
  CHECK_FALSE(o.completed);
  CHECK(o.initiator == HandshakeInitiator::Result::ServerKeyMismatch);
}

TEST_CASE("an unknown client key is exposed to the registry check, never accepted silently") {
  auto server = crypto::GenerateKeyPair();
  auto registered = crypto::GenerateKeyPair();
  auto stranger = crypto::GenerateKeyPair();
  Outcome o = Run(server, stranger, Pk(server), kNoTamper);
  REQUIRE(o.completed);
  // The responder reports the key that was proven; it is not the registered one.
  CHECK(o.remote_pk != crypto::PublicKeyBase64(registered));
  CHECK(o.remote_pk == crypto::PublicKeyBase64(stranger));
}

TEST_CASE("a flipped bit anywhere in any handshake message fails the handshake") {
  auto server = crypto::GenerateKeyPair();
  auto client = crypto::GenerateKeyPair();
  // Sizes of the three Noise messages (e; e,ee,s,es; s,se + payload).
  Outcome clean = Run(server, client, Pk(server), kNoTamper);
  REQUIRE(clean.completed);
  for (int message = 1; message <= 3; ++message) {
    size_t size = 0;
    {
      HandshakeInitiator init(std::string(crypto::kDefaultProtocol), client, "dev-42", Pk(server));
      HandshakeResponder resp(server);
      std::string f1, f3;
      REQUIRE(init.Start(&f1) == HandshakeInitiator::Result::Ok);
      auto s2 = resp.OnFrame(f1);
      crypto::Transport t;
      REQUIRE(init.OnFrame(s2.frame, &f3, &t) == HandshakeInitiator::Result::Ok);
      size = MsgSize(message == 1 ? f1 : message == 2 ? s2.frame : f3);
    }
    for (size_t byte = 0; byte < size; ++byte) {
      CAPTURE(message);
      CAPTURE(byte);
      auto tamper = [&](int k, const std::string& f) {
        return k == message ? FlipInMsg(f, byte) : f;
      };
      Outcome o = Run(server, client, Pk(server), tamper, static_cast<unsigned>(byte));
      CHECK_FALSE(o.completed);
    }
  }
}

TEST_CASE("transport messages: a flipped bit or a replay is rejected") {
  auto server = crypto::GenerateKeyPair();
  auto client = crypto::GenerateKeyPair();
  Outcome o = Run(server, client, Pk(server), kNoTamper);
  REQUIRE(o.completed);
  std::string msg = R"({"type":"ack","ts":1,"eventId":"1-0"})";
  std::string cipher(msg.size() + 16, '\0');
  std::string plain(msg.size(), '\0');
  auto* c = reinterpret_cast<uint8_t*>(cipher.data());
  auto* p = reinterpret_cast<uint8_t*>(plain.data());

  REQUIRE(o.client_transport.Encrypt(crypto::AsBytes(msg), c));
  std::string first = cipher;
  REQUIRE(o.server_transport.Decrypt({c, cipher.size()}, p));
  // Replay of the same ciphertext: the receiver's nonce has moved on.
  CHECK_FALSE(o.server_transport.Decrypt(crypto::AsBytes(first), p));

  SUBCASE("flipped bit") {
    REQUIRE(o.client_transport.Encrypt(crypto::AsBytes(msg), c));
    for (size_t i = 0; i < cipher.size(); ++i) {
      std::string bad = cipher;
      bad[i] ^= 0x80;
      CHECK_FALSE(o.server_transport.Decrypt(crypto::AsBytes(bad), p));
    }
    CHECK(o.server_transport.Decrypt(crypto::AsBytes(cipher), p));
  }
}

TEST_CASE("both halves name their state after the step just completed") {
  auto server = crypto::GenerateKeyPair();
  auto client = crypto::GenerateKeyPair();
  HandshakeInitiator init(std::string(crypto::kDefaultProtocol), client, "dev-42", Pk(server));
  HandshakeResponder resp(server);
  using IS = HandshakeInitiator::State;
  using RS = HandshakeResponder::State;
  CHECK(init.CurrentState() == IS::Created);
  CHECK(resp.CurrentState() == RS::AwaitingInitiation);
  std::string f1, f3;
  REQUIRE(init.Start(&f1) == HandshakeInitiator::Result::Ok);
  CHECK(init.CurrentState() == IS::SentInitiation);
  auto s2 = resp.OnFrame(f1);
  REQUIRE(s2.kind == HandshakeResponder::StepKind::Reply);
  CHECK(resp.CurrentState() == RS::SentResponse);
  crypto::Transport t;
  REQUIRE(init.OnFrame(s2.frame, &f3, &t) == HandshakeInitiator::Result::Ok);
  CHECK(init.CurrentState() == IS::Done);
  REQUIRE(resp.OnFrame(f3).kind == HandshakeResponder::StepKind::Authenticate);
  CHECK(resp.CurrentState() == RS::Done);

  SUBCASE("out of turn, each half refuses and keeps its outcome") {
    std::string again;
    CHECK(init.Start(&again) == HandshakeInitiator::Result::Failed);
    CHECK(init.OnFrame(s2.frame, &again, &t) == HandshakeInitiator::Result::Failed);
    CHECK(init.CurrentState() == IS::Done);
    auto late = resp.OnFrame(f3);
    CHECK(late.kind == HandshakeResponder::StepKind::Fail);
    CHECK(late.code == sp::proto::error_code::kBadMessage);
    CHECK(resp.CurrentState() == RS::Done);
    CHECK(resp.TakeTransport(&t));
    CHECK_FALSE(resp.TakeTransport(&t));  // once
  }
}

TEST_CASE("frames out of turn fail without a handshake in progress") {
  auto server = crypto::GenerateKeyPair();
  auto client = crypto::GenerateKeyPair();
  HandshakeInitiator init(std::string(crypto::kDefaultProtocol), client, "dev-42", Pk(server));
  std::string f3;
  crypto::Transport t;
  // Frame 2 before frame 1 was sent.
  CHECK(init.OnFrame(R"({"type":"handshake","msg":"AAAA","ts":1})", &f3, &t) ==
        HandshakeInitiator::Result::Failed);
  CHECK(init.CurrentState() == HandshakeInitiator::State::Created);

  HandshakeResponder resp(server);
  crypto::Transport st;
  CHECK_FALSE(resp.TakeTransport(&st));
  auto bad = resp.OnFrame("not json");
  CHECK(bad.kind == HandshakeResponder::StepKind::Fail);
  CHECK(resp.CurrentState() == HandshakeResponder::State::Failed);
  // A good message 1 after a failure is refused too.
  std::string f1;
  REQUIRE(init.Start(&f1) == HandshakeInitiator::Result::Ok);
  CHECK(resp.OnFrame(f1).kind == HandshakeResponder::StepKind::Fail);
  CHECK_FALSE(resp.TakeTransport(&st));
}

TEST_CASE("trust on first use: without a pinned key the initiator reports the key it saw") {
  auto server = crypto::GenerateKeyPair();
  auto client = crypto::GenerateKeyPair();
  HandshakeInitiator init(std::string(crypto::kDefaultProtocol), client, "dev-42", {});
  HandshakeResponder resp(server);
  std::string f1, f3;
  crypto::Transport t;
  REQUIRE(init.Start(&f1) == HandshakeInitiator::Result::Ok);
  auto s2 = resp.OnFrame(f1);
  REQUIRE(init.OnFrame(s2.frame, &f3, &t) == HandshakeInitiator::Result::Ok);
  // The caller checks this against its known servers before sending frame 3.
  CHECK(init.ServerKey() == crypto::PublicKeyBase64(server));
  CHECK(resp.OnFrame(f3).kind == HandshakeResponder::StepKind::Authenticate);
}

TEST_CASE("a wrong pinned key still reports the key the server proved") {
  auto server = crypto::GenerateKeyPair();
  auto client = crypto::GenerateKeyPair();
  auto expected = crypto::GenerateKeyPair();
  HandshakeInitiator init(std::string(crypto::kDefaultProtocol), client, "dev-42", Pk(expected));
  HandshakeResponder resp(server);
  std::string f1, f3;
  crypto::Transport t;
  REQUIRE(init.Start(&f1) == HandshakeInitiator::Result::Ok);
  auto s2 = resp.OnFrame(f1);
  CHECK(init.OnFrame(s2.frame, &f3, &t) == HandshakeInitiator::Result::ServerKeyMismatch);
  CHECK(init.ServerKey() == crypto::PublicKeyBase64(server));
  CHECK(f3.empty());  // the client id was never encrypted for this server
  CHECK(init.CurrentState() == HandshakeInitiator::State::Failed);
}

TEST_CASE("the responder's refusal of message 1 reaches the initiator as a server error") {
  auto server = crypto::GenerateKeyPair();
  auto client = crypto::GenerateKeyPair();
  HandshakeInitiator init(std::string(crypto::kDefaultProtocol), client, "dev-42", Pk(server));
  HandshakeResponder resp(server);
  std::string f1, f3;
  crypto::Transport t;
  REQUIRE(init.Start(&f1) == HandshakeInitiator::Result::Ok);
  // Message 1 names a Noise suite the server does not accept.
  auto hs = std::get<sp::proto::Handshake>(sp::proto::ParseHandshake(f1));
  hs.protocol = "Noise_XX_25519_ChaChaPoly_BLAKE2s";
  auto refusal = resp.OnFrame(One(sp::proto::Serialize(hs), 7));
  REQUIRE(refusal.kind == HandshakeResponder::StepKind::Fail);
  // What Connection::Fail writes in plaintext before the transport exists.
  sp::proto::Error err;
  err.code = std::string(refusal.code);
  err.message = refusal.message;
  err.ts = 1;
  CHECK(init.OnFrame(One(sp::proto::Serialize(err), 8), &f3, &t) ==
        HandshakeInitiator::Result::ServerError);
  CHECK(init.ErrorCode() == sp::proto::error_code::kUnsupportedProtocol);
  CHECK(init.ErrorMessage() == refusal.message);
  CHECK(init.CurrentState() == HandshakeInitiator::State::Failed);
}

TEST_CASE("a frame 2 that is neither a handshake nor an error is unexpected") {
  auto client = crypto::GenerateKeyPair();
  for (std::string frame : {R"({"type":"ping","ts":1})", "not json", R"({"type":"handshake"})"}) {
    CAPTURE(frame);
    HandshakeInitiator init(std::string(crypto::kDefaultProtocol), client, "dev-42", {});
    std::string f1, f3;
    crypto::Transport t;
    REQUIRE(init.Start(&f1) == HandshakeInitiator::Result::Ok);
    CHECK(init.OnFrame(frame, &f3, &t) == HandshakeInitiator::Result::Unexpected);
    CHECK(init.CurrentState() == HandshakeInitiator::State::Failed);
  }
}
