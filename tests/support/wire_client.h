// A blocking, byte-level sealpost/1 client for integration tests: it sees
// every byte on the wire, can tamper with frames and check for plaintext.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "crypto/keys.h"
#include "crypto/sealpost_noise.h"

namespace sp::testkit {

class WireClient {
 public:
  WireClient() = default;
  ~WireClient();
  WireClient(const WireClient&) = delete;
  WireClient& operator=(const WireClient&) = delete;

  bool Connect(int port);
  // Runs the whole handshake and waits for welcome. Returns "" on success or
  // the failure: "server key mismatch", an error code from the server, "closed".
  std::string Handshake(const std::string& server_pk_b64, const crypto::KeyPair& key,
                        const std::string& client_id);

  // Next decrypted message (nullopt on timeout, close or decrypt failure).
  std::optional<nlohmann::json> Receive(std::chrono::milliseconds timeout);
  // Receives until a message of `type` arrives (answering pings on the way).
  std::optional<nlohmann::json> ReceiveType(const std::string& type,
                                            std::chrono::milliseconds timeout);
  bool Send(const nlohmann::json& message);
  bool Ack(const std::string& event_id);
  bool SendRawFrame(const std::string& bytes);  // adds the 0x00
  // Encrypts `message` and flips one bit of the ciphertext before sending.
  bool SendTampered(const nlohmann::json& message, size_t byte_index);
  // True once the peer closed the connection (waits up to `timeout`).
  bool WaitClosed(std::chrono::milliseconds timeout);

  const std::string& RawReceived() const { return raw_received_; }
  bool Closed() const { return closed_; }

 private:
  std::optional<std::string> ReadFrame(std::chrono::milliseconds timeout);
  bool WriteAll(const std::string& bytes);

  int fd_ = -1;
  bool closed_ = false;
  std::string buffer_;
  std::string raw_received_;  // every byte the server sent, before decryption
  crypto::Transport transport_;
  bool has_transport_ = false;
};

}  // namespace sp::testkit
