// Fuzzes connections::HandshakeResponder (connections/handshake_responder.h),
// the server's half of the handshake, which reads frames from anyone who
// connects. The input is split on 0x00 (the frame terminator on the wire;
// empty frames are skipped as the decoder does) and the frames are given to
// one responder in order: the first as message 1, the rest after it.
//
// Beyond "no crash", it checks:
// - never an Authenticate step, and never a transport: that needs a valid
//   Noise message 3, bound to the responder's fresh random ephemeral key,
//   which no input written in advance can contain;
// - the steps follow the state machine: a Reply only for the first frame,
//   moving to SentResponse; a Fail moves to Failed, and after it every frame
//   fails again without changing state;
// - a Reply is message 2: a handshake frame without 0x00 and without a
//   protocol, whose msg is base64 of e (32) + encrypted s (48) + the empty
//   payload's tag (16) = 96 bytes;
// - a Fail carries one of the handshake's error codes and a message.
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "connections/handshake_responder.h"
#include "crypto/bytes.h"
#include "crypto/keys.h"
#include "shared/messages.h"
#include "shared/protocol.h"
#include "tests/fuzz/check.h"

using sp::connections::HandshakeResponder;
using StepKind = HandshakeResponder::StepKind;
using State = HandshakeResponder::State;
namespace proto = sp::proto;
namespace crypto = sp::crypto;

namespace {

constexpr size_t kMaxFrames = 8;
constexpr size_t kMessage2Bytes = 32 + 48 + 16;

const crypto::KeyPair& ServerKey() {
  static const crypto::KeyPair key = [] {
    uint8_t secret[crypto::kKeyBytes];
    for (size_t i = 0; i < sizeof(secret); ++i) secret[i] = static_cast<uint8_t>(0x40 + i);
    return crypto::KeyPairFromSecret({secret, sizeof(secret)});
  }();
  return key;
}

std::vector<std::string_view> SplitFrames(std::string_view input) {
  std::vector<std::string_view> frames;
  while (!input.empty() && frames.size() < kMaxFrames) {
    const size_t end = input.find('\0');
    const std::string_view frame = input.substr(0, end);
    if (!frame.empty()) frames.push_back(frame);
    if (end == std::string_view::npos) break;
    input.remove_prefix(end + 1);
  }
  return frames;
}

void CheckReply(const HandshakeResponder::Step& step) {
  FUZZ_CHECK(step.frame.find('\0') == std::string::npos);
  auto parsed = proto::ParseHandshake(step.frame);
  const auto* hs = std::get_if<proto::Handshake>(&parsed);
  FUZZ_CHECK(hs != nullptr);
  FUZZ_CHECK(hs->protocol.empty());
  crypto::Bytes msg;
  FUZZ_CHECK(crypto::Base64Decode(hs->msg, &msg));
  FUZZ_CHECK(msg.size() == kMessage2Bytes);
}

void CheckFail(const HandshakeResponder::Step& step) {
  FUZZ_CHECK(step.code == proto::error_code::kBadMessage ||
             step.code == proto::error_code::kHandshakeFailed ||
             step.code == proto::error_code::kUnsupportedProtocol);
  FUZZ_CHECK(!step.message.empty());
  FUZZ_CHECK(step.frame.empty());
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  FUZZ_CHECK(crypto::InitCrypto());
  ServerKey();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<std::string_view> frames =
      SplitFrames(std::string_view(reinterpret_cast<const char*>(data), size));
  HandshakeResponder responder(ServerKey());
  FUZZ_CHECK(responder.CurrentState() == State::AwaitingInitiation);
  for (size_t i = 0; i < frames.size(); ++i) {
    const State before = responder.CurrentState();
    const HandshakeResponder::Step step = responder.OnFrame(frames[i]);
    FUZZ_CHECK(step.kind != StepKind::Authenticate);
    if (step.kind == StepKind::Reply) {
      FUZZ_CHECK(i == 0 && before == State::AwaitingInitiation);
      FUZZ_CHECK(responder.CurrentState() == State::SentResponse);
      CheckReply(step);
    } else {
      CheckFail(step);
      FUZZ_CHECK(responder.CurrentState() == State::Failed);
    }
  }
  crypto::Transport transport;
  FUZZ_CHECK(!responder.TakeTransport(&transport));
  FUZZ_CHECK(responder.CurrentState() != State::Done);
  return 0;
}
