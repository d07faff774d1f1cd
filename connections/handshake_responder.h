// The responder half of the sealpost/1 handshake as a pure object: frames in,
// steps out, no I/O and no Redis. Connection drives it; tests run it against
// the client's HandshakeInitiator over an in-memory pipe.
//   -> {"type":"handshake","protocol":P,"msg":b64(e)}
//   <- {"type":"handshake","msg":b64(e, ee, s, es)}
//   -> {"type":"handshake","msg":b64(s, se, payload {"client":ID})}
#pragma once

#include <memory>
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

  explicit HandshakeResponder(const crypto::KeyPair& server_key) : server_key_(server_key) {}

  Step OnFrame(std::string_view frame);
  // After an Authenticate step: the transport cipher states (once).
  [[nodiscard]] bool TakeTransport(crypto::Transport* out);

 private:
  Step OnFirst(crypto::ByteView message);
  Step OnThird(crypto::ByteView message);

  const crypto::KeyPair& server_key_;
  std::unique_ptr<crypto::noise::HandshakeState> state_;
  crypto::Transport transport_;
  bool done_ = false;
  bool taken_ = false;
};

}  // namespace sp::connections
