// A scripted sealpost/1 responder on the test's libuv loop: the real Noise
// handshake and transport (crypto/), but no Redis and no delivery logic, so
// tests can make the server do exactly one thing (duplicate an event, refuse
// the client, send goaway, ...) and watch how the client library reacts.
#pragma once

#include <uv.h>

#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/sealpost_noise.h"
#include "shared/frame_decoder.h"
#include "shared/protocol.h"

namespace sealpost::test {

class FakeServer {
 public:
  explicit FakeServer(uv_loop_t* loop) : FakeServer(loop, sp::crypto::GenerateKeyPair()) {}
  // Nodes of one deployment share the server key: give them the same one.
  FakeServer(uv_loop_t* loop, const sp::crypto::KeyPair& key) : loop_(loop), key_(key) {
    uv_tcp_init(loop_, &listener_);
    listener_.data = this;
    sockaddr_in addr{};
    uv_ip4_addr("127.0.0.1", 0, &addr);
    uv_tcp_bind(&listener_, reinterpret_cast<sockaddr*>(&addr), 0);
    uv_listen(reinterpret_cast<uv_stream_t*>(&listener_), 16, &FakeServer::OnConnection);
    sockaddr_storage bound{};
    int len = sizeof bound;
    uv_tcp_getsockname(&listener_, reinterpret_cast<sockaddr*>(&bound), &len);
    port_ = ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  }
  ~FakeServer() { Close(); }

  std::string Address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string PublicKey() const { return sp::crypto::PublicKeyBase64(key_); }
  const sp::crypto::KeyPair& Key() const { return key_; }

  // After handshake message 3 (default: send welcome at once).
  std::function<void(FakeServer&)> on_authenticated = [](FakeServer& s) { s.Welcome(); };
  // When set, called instead of answering handshake message 1 (an on-path
  // attacker's injected plaintext, for instance).
  std::function<void(FakeServer&)> instead_of_message2;
  // Each decrypted client message.
  std::function<void(FakeServer&, const nlohmann::json&)> on_message;

  std::string client_id;              // from message 3 of the latest connection
  int connections = 0;                // accepted so far
  std::vector<uint64_t> accepted_at;  // loop time of each accept
  std::vector<nlohmann::json> received;
  bool frame_before_welcome = false;
  int handshake_reads = 0;  // socket reads before the handshake completed

  void Welcome() {
    welcomed_ = true;
    Send({{"type", "welcome"},
          {"ts", 1},
          {"client", client_id},
          {"node", "fake"},
          {"session", "s" + std::to_string(connections)},
          {"heartbeatMs", 5000},
          {"window", 64},
          {"maxFrameBytes", sp::proto::kDefaultMaxFrameBytes}});
  }

  void Send(const nlohmann::json& message) {
    if (!conn_) return;
    std::string json = message.dump();
    std::vector<uint8_t> cipher(json.size() + sp::crypto::Transport::Overhead());
    if (!transport_.Encrypt(sp::crypto::AsBytes(json), cipher.data())) return;
    std::string frame;
    sp::crypto::Base64EncodeAppend(cipher, &frame);
    Write(frame);
  }

  void SendPlain(const nlohmann::json& message) { Write(message.dump()); }

  // Closes the current client connection (the listener stays).
  void Drop() {
    if (!conn_) return;
    uv_close(reinterpret_cast<uv_handle_t*>(conn_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
    conn_ = nullptr;
  }

  void Close() {
    Drop();
    if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&listener_)))
      uv_close(reinterpret_cast<uv_handle_t*>(&listener_), nullptr);
  }

 private:
  static void OnConnection(uv_stream_t* listener, int status) {
    auto* self = static_cast<FakeServer*>(listener->data);
    if (status != 0) return;
    auto* tcp = new uv_tcp_t;
    uv_tcp_init(self->loop_, tcp);
    if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(tcp)) != 0) {
      uv_close(reinterpret_cast<uv_handle_t*>(tcp),
               [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
      return;
    }
    self->Drop();  // one client at a time
    self->conn_ = tcp;
    tcp->data = self;
    self->connections++;
    self->accepted_at.push_back(uv_now(self->loop_));
    self->decoder_ = std::make_unique<sp::proto::FrameDecoder>(sp::proto::kDefaultMaxFrameBytes);
    self->handshake_.reset();
    self->step_ = 0;
    self->welcomed_ = false;
    uv_read_start(
        reinterpret_cast<uv_stream_t*>(tcp),
        [](uv_handle_t*, size_t, uv_buf_t* buf) {
          static char storage[65536];
          *buf = uv_buf_init(storage, sizeof storage);
        },
        [](uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
          auto* server = static_cast<FakeServer*>(s->data);
          if (reinterpret_cast<uv_tcp_t*>(s) != server->conn_) return;
          if (n < 0) {
            server->Drop();
            return;
          }
          server->OnBytes(std::string_view(buf->base, static_cast<size_t>(n)));
        });
  }

  void OnBytes(std::string_view chunk) {
    if (step_ < 2) handshake_reads++;
    uv_tcp_t* conn = conn_;
    decoder_->Feed(chunk);
    std::string_view frame;
    while (conn_ == conn && decoder_->Next(&frame) == sp::proto::FrameStatus::Frame) {
      OnFrame(std::string(frame));
    }
  }

  void OnFrame(const std::string& frame) {
    if (step_ < 2) {
      OnHandshake(nlohmann::json::parse(frame));
      return;
    }
    if (!welcomed_) frame_before_welcome = true;
    sp::crypto::Bytes cipher;
    if (!sp::crypto::Base64Decode(frame, &cipher)) return;
    std::vector<uint8_t> plain(cipher.size() - sp::crypto::Transport::Overhead());
    if (!transport_.Decrypt(cipher, plain.data())) return;
    auto message = nlohmann::json::parse(plain.begin(), plain.end());
    received.push_back(message);
    if (on_message) on_message(*this, message);
  }

  void OnHandshake(const nlohmann::json& hs) {
    sp::crypto::Bytes msg;
    sp::crypto::Bytes payload;
    REQUIRE(sp::crypto::Base64Decode(hs["msg"].get<std::string>(), &msg));
    if (step_ == 0 && instead_of_message2) {
      instead_of_message2(*this);
      return;
    }
    if (step_ == 0) {
      REQUIRE(sp::crypto::StartHandshake(hs["protocol"].get<std::string>(), false, key_,
                                         &handshake_) == sp::crypto::noise::Status::Ok);
      REQUIRE(handshake_->ReadMessage(msg, &payload) == sp::crypto::noise::Status::Ok);
      sp::crypto::Bytes reply;
      REQUIRE(handshake_->WriteMessage({}, &reply) == sp::crypto::noise::Status::Ok);
      step_ = 1;
      Write(
          nlohmann::json{{"type", "handshake"}, {"ts", 1}, {"msg", sp::crypto::Base64Encode(reply)}}
              .dump());
      return;
    }
    REQUIRE(handshake_->ReadMessage(msg, &payload) == sp::crypto::noise::Status::Ok);
    REQUIRE(sp::crypto::FinishHandshake(*handshake_, false, &transport_) ==
            sp::crypto::noise::Status::Ok);
    client_id = nlohmann::json::parse(payload.begin(), payload.end())["client"];
    step_ = 2;
    on_authenticated(*this);
  }

  void Write(const std::string& payload) {
    struct Req {
      uv_write_t req;
      std::string bytes;
    };
    auto* r = new Req;
    sp::proto::AppendFrame(payload, &r->bytes);
    uv_buf_t buf = uv_buf_init(r->bytes.data(), static_cast<unsigned>(r->bytes.size()));
    r->req.data = r;
    if (uv_write(&r->req, reinterpret_cast<uv_stream_t*>(conn_), &buf, 1,
                 [](uv_write_t* req, int) { delete static_cast<Req*>(req->data); }) != 0) {
      delete r;
    }
  }

  uv_loop_t* loop_;
  sp::crypto::KeyPair key_;
  uv_tcp_t listener_;
  int port_ = 0;
  uv_tcp_t* conn_ = nullptr;
  std::unique_ptr<sp::proto::FrameDecoder> decoder_;
  std::unique_ptr<sp::crypto::noise::HandshakeState> handshake_;
  sp::crypto::Transport transport_;
  int step_ = 0;
  bool welcomed_ = false;
};

// Runs `loop` until `done()` or `timeout_ms` of loop time; returns done().
inline bool RunUntil(uv_loop_t* loop, const std::function<bool()>& done, uint64_t timeout_ms) {
  uv_timer_t tick;
  uv_timer_init(loop, &tick);
  uv_timer_start(
      &tick, [](uv_timer_t*) {}, 5, 5);  // keeps the loop turning
  uint64_t until = uv_now(loop) + timeout_ms;
  while (!done() && uv_now(loop) < until) uv_run(loop, UV_RUN_ONCE);
  uv_close(reinterpret_cast<uv_handle_t*>(&tick), nullptr);
  uv_run(loop, UV_RUN_NOWAIT);
  return done();
}

}  // namespace sealpost::test
