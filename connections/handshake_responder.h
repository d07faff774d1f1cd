// The responder half of the sealpost/1 handshake as a pure object: frames in,
// steps out, no I/O and no Redis. Connection drives it; tests run it against
// the client's HandshakeInitiator over an in-memory pipe.
//   -> {"type":"handshake","protocol":P,"msg":b64(e)}
//   <- {"type":"handshake","msg":b64(e, ee, s, es)}
//   -> {"type":"handshake","msg":b64(s, se, payload {"client":ID})}
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/keys.h"
#include "crypto/noise/handshake_state.h"
#include "crypto/sealpost_noise.h"

namespace sp::connections {

class HandshakeResponder {
 public:
  enum class StepKind : uint8_t {
    Reply,         // send `frame` (plaintext JSON) and wait for the next frame
    Authenticate,  // handshake done: look `client` up, compare its key with `remote_pk`
    Fail,          // send an error with `code`/`message` and close
  };
  struct Step {
    StepKind kind = StepKind::Fail;
    std::string frame;
    std::string client;
    std::string remote_pk;  // base64 of the client's static key
    std::string_view code;
    std::string message;
  };

  // Named after the step just completed, as in WireGuard's handshake: each
  // call checks it first, so a frame out of turn can only fail.
  enum class State : uint8_t {
    AwaitingInitiation,  // nothing read yet
    SentResponse,        // message 1 read, message 2 given out
    Done,                // message 3 read and authenticated: transport ready
    Failed,              // a Fail step was given out; nothing more is accepted
  };

  static constexpr size_t kDefaultMaxPayloadBytes = 1024;

  // `max_payload_bytes` bounds message 3's payload ({"client":"<id>"}).
  explicit HandshakeResponder(const crypto::KeyPair& server_key,
                              size_t max_payload_bytes = kDefaultMaxPayloadBytes)
      : server_key_(server_key), max_payload_bytes_(max_payload_bytes) {}

  Step OnFrame(std::string_view frame);
  // After an Authenticate step: the transport cipher states (once).
  [[nodiscard]] bool TakeTransport(crypto::Transport* out);
  State CurrentState() const { return state_; }

 private:
  Step OnInitiation(std::string_view frame);
  Step OnConfirmation(std::string_view frame);

  const crypto::KeyPair& server_key_;
  size_t max_payload_bytes_;
  State state_ = State::AwaitingInitiation;
  // Noise state, only between message 1 and message 3 (holds the ephemeral).
  std::unique_ptr<crypto::noise::HandshakeState> noise_;
  std::optional<crypto::Transport> transport_;  // from Done until taken
};

}  // namespace sp::connections
