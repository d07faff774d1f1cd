// The initiator half of the sealpost/1 handshake as a pure object (no I/O):
// Start() gives frame 1; OnFrame(frame 2) checks the pinned server key and
// gives frame 3 plus the transport. The client library's connections drive it
// (client_conn.cpp), as do the tests: the pipe test against
// connections/HandshakeResponder and the integration tests' WireClient.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "crypto/keys.h"
#include "crypto/noise/handshake_state.h"
#include "crypto/sealpost_noise.h"

namespace sealpost {

class HandshakeInitiator {
 public:
  // Named after the step just completed, as in WireGuard's handshake: each
  // call checks it first, so a call out of turn can only fail.
  enum class State : uint8_t {
    Created,         // nothing sent yet
    SentInitiation,  // frame 1 given out, waiting for frame 2
    Done,            // frame 3 and the transport given out
    Failed,          // frame 2 (or Start) failed; nothing more is accepted
  };
  enum class Result : uint8_t {
    Ok,
    ServerKeyMismatch,  // the server's static key is not the pinned one
    Rejected,           // frame 2 is a handshake message that does not verify
    ServerError,        // frame 2 is an error message from the server
    Unexpected,         // frame 2 is neither a handshake message nor an error
    Failed,             // local failure (protocol unavailable, call out of turn)
  };

  // `pinned_server_key` is 32 bytes; empty means "accept any and report it"
  // (trust on first use: the caller checks ServerKey() before sending frame 3).
  // `client_key` is only read by Start().
  HandshakeInitiator(std::string protocol, const sp::crypto::KeyPair& client_key,
                     std::string client_id, sp::crypto::Bytes pinned_server_key);
  ~HandshakeInitiator();

  // Frame 1 (plaintext JSON, without the 0x00).
  [[nodiscard]] Result Start(std::string* frame1);
  // Consumes frame 2; on Ok fills frame 3 and the transport. Any other result
  // ends the handshake. Either way the ephemeral secrets are wiped on return.
  [[nodiscard]] Result OnFrame(std::string_view frame2, std::string* frame3,
                               sp::crypto::Transport* transport);

  State CurrentState() const { return state_; }
  // The server's static key once frame 2 was read (base64).
  const std::string& ServerKey() const { return server_key_b64_; }
  // For ServerError: the server's error code and message.
  const std::string& ErrorCode() const { return error_code_; }
  const std::string& ErrorMessage() const { return error_message_; }

 private:
  Result ReadResponse(std::string_view frame2, std::string* frame3,
                      sp::crypto::Transport* transport);

  State state_ = State::Created;
  std::string protocol_;
  const sp::crypto::KeyPair& key_;
  std::string client_id_;
  sp::crypto::Bytes pinned_;
  // Noise state, only between Start and the end of OnFrame (holds the ephemeral).
  std::unique_ptr<sp::crypto::noise::HandshakeState> noise_;
  std::string server_key_b64_;
  std::string error_code_;
  std::string error_message_;
};

}  // namespace sealpost
