// The initiator half of the sealpost/1 handshake as a pure object (no I/O):
// Start() gives frame 1; OnFrame(frame 2) checks the pinned server key and
// gives frame 3 plus the transport. Used by the client library and by tests
// that run it against connections/HandshakeResponder over an in-memory pipe.
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
  enum class Result : uint8_t {
    Ok,
    ServerKeyMismatch,  // the server's static key is not the pinned one
    Rejected,           // frame 2 is not a valid handshake message
    ServerError,        // frame 2 is an error message from the server
    Failed,             // local failure (protocol unavailable, ...)
  };

  // `pinned_server_key` is 32 bytes; empty means "accept any and report it"
  // (trust on first use: the caller records ServerKey()).
  HandshakeInitiator(std::string protocol, const sp::crypto::KeyPair& client_key,
                     std::string client_id, sp::crypto::Bytes pinned_server_key);
  ~HandshakeInitiator();

  // Frame 1 (plaintext JSON, without the 0x00).
  [[nodiscard]] Result Start(std::string* frame1);
  // Consumes frame 2; on Ok fills frame 3 and the transport.
  [[nodiscard]] Result OnFrame(std::string_view frame2, std::string* frame3,
                               sp::crypto::Transport* transport);

  // The server's static key once frame 2 was read (base64).
  const std::string& ServerKey() const { return server_key_b64_; }
  // For ServerError: the server's error code and message.
  const std::string& ErrorCode() const { return error_code_; }
  const std::string& ErrorMessage() const { return error_message_; }

 private:
  std::string protocol_;
  const sp::crypto::KeyPair& key_;
  std::string client_id_;
  sp::crypto::Bytes pinned_;
  std::unique_ptr<sp::crypto::noise::HandshakeState> state_;
  std::string server_key_b64_;
  std::string error_code_;
  std::string error_message_;
};

}  // namespace sealpost
