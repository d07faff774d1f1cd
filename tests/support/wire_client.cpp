#include "tests/support/wire_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/handshake_initiator.h"
#include "shared/frame_decoder.h"
#include "shared/messages.h"

namespace sp::testkit {

WireClient::~WireClient() {
  if (fd_ >= 0) close(fd_);
}

bool WireClient::Connect(int port) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}

bool WireClient::WriteAll(const std::string& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

bool WireClient::SendRawFrame(const std::string& bytes) {
  std::string frame;
  proto::AppendFrame(bytes, &frame);
  return WriteAll(frame);
}

std::optional<std::string> WireClient::ReadFrame(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    size_t zero = buffer_.find('\0');
    if (zero != std::string::npos) {
      std::string frame = buffer_.substr(0, zero);
      buffer_.erase(0, zero + 1);
      if (frame.empty()) continue;
      return frame;
    }
    if (closed_) return std::nullopt;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
    char buf[65536];
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      closed_ = true;
      continue;
    }
    buffer_.append(buf, static_cast<size_t>(n));
    raw_received_.append(buf, static_cast<size_t>(n));
  }
}

std::string WireClient::Handshake(const std::string& server_pk_b64, const crypto::KeyPair& key,
                                  const std::string& client_id) {
  using Result = sealpost::HandshakeInitiator::Result;
  uint8_t pinned[crypto::kKeyBytes];
  if (!crypto::ParsePublicKey(server_pk_b64, pinned)) return "server key mismatch";
  // The client library's own initiator: these tests exercise the shipped handshake.
  sealpost::HandshakeInitiator handshake(std::string(crypto::kDefaultProtocol), key, client_id,
                                         crypto::Bytes(pinned, pinned + sizeof pinned));
  std::string frame1, frame3;
  if (handshake.Start(&frame1) != Result::Ok) return "handshake init failed";
  if (!SendRawFrame(frame1)) return "closed";
  auto frame = ReadFrame(std::chrono::seconds(5));
  if (!frame) return "closed";
  switch (handshake.OnFrame(*frame, &frame3, &transport_)) {
    case Result::Ok:
      break;
    case Result::ServerError:
      return handshake.ErrorCode();
    case Result::ServerKeyMismatch:
      return "server key mismatch";
    case Result::Rejected:
      return "handshake 2 rejected";
    case Result::Unexpected:
      return "closed";
    case Result::Failed:
      return "write 3 failed";
  }
  if (!SendRawFrame(frame3)) return "closed";
  has_transport_ = true;
  auto welcome = Receive(std::chrono::seconds(5));
  if (!welcome) return "closed";
  if ((*welcome)["type"] == "error") return (*welcome)["code"].get<std::string>();
  return (*welcome)["type"] == "welcome" ? "" : "unexpected first message";
}

std::optional<nlohmann::json> WireClient::Receive(std::chrono::milliseconds timeout) {
  auto frame = ReadFrame(timeout);
  if (!frame) return std::nullopt;
  if (!has_transport_) {
    auto j = nlohmann::json::parse(*frame, nullptr, false);
    if (j.is_discarded()) return std::nullopt;
    return j;
  }
  crypto::Bytes cipher;
  if (!crypto::Base64Decode(*frame, &cipher) || cipher.size() < 16) return std::nullopt;
  std::string plain(cipher.size() - 16, '\0');
  if (!transport_.Decrypt(cipher, reinterpret_cast<uint8_t*>(plain.data()))) return std::nullopt;
  auto j = nlohmann::json::parse(plain, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

std::optional<nlohmann::json> WireClient::ReceiveType(const std::string& type,
                                                      std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    auto m = Receive(left);
    if (!m) return std::nullopt;
    if ((*m)["type"] == "ping") {
      Send({{"type", "pong"}, {"ts", proto::NowMs()}, {"echo", (*m)["ts"]}});
      continue;
    }
    if ((*m)["type"] == type) return m;
  }
}

bool WireClient::Send(const nlohmann::json& message) {
  std::string plain = message.dump();
  std::string cipher(plain.size() + 16, '\0');
  if (!transport_.Encrypt(crypto::AsBytes(plain), reinterpret_cast<uint8_t*>(cipher.data())))
    return false;
  return SendRawFrame(crypto::Base64Encode(crypto::AsBytes(cipher)));
}

bool WireClient::Ack(const std::string& event_id) {
  return Send({{"type", "ack"}, {"ts", proto::NowMs()}, {"eventId", event_id}});
}

bool WireClient::SendTampered(const nlohmann::json& message, size_t byte_index) {
  std::string plain = message.dump();
  std::string cipher(plain.size() + 16, '\0');
  if (!transport_.Encrypt(crypto::AsBytes(plain), reinterpret_cast<uint8_t*>(cipher.data())))
    return false;
  cipher[byte_index % cipher.size()] ^= 0x01;
  return SendRawFrame(crypto::Base64Encode(crypto::AsBytes(cipher)));
}

bool WireClient::WaitClosed(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!closed_ && std::chrono::steady_clock::now() < deadline) {
    ReadFrame(std::chrono::milliseconds(50));
  }
  return closed_;
}

}  // namespace sp::testkit
