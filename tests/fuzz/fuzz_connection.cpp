// Fuzzes a whole server-side connection after a valid handshake: the real
// Hub, Connection, transport frames, dispatch, handlers and per-session
// Delivery on a libuv loop, with services/ talking to the in-memory FakeRedis
// (fake_redis.h) instead of a Redis server.
//
// One process is one node serving connection after connection, as in
// production. Per input: the fake holds the client's record (its public key)
// and a few events waiting in its stream; a client connects over a Unix
// socket to the node's listener and runs the Noise_XX handshake with the
// library's HandshakeInitiator. Then the input is split into lines (at most
// kMaxLines):
//   "~"        let the loop and the fake run until nothing moves (replies
//              from Redis arrive between messages instead of after them)
//   "!bytes"   the bytes sent raw, then a 0x00: not base64, too short, bad
//              tags, stray 0x00s (the decrypt-failure paths)
//   otherwise  the line is a message's plaintext, encrypted with the
//              client's transport and sent as a frame: it reaches the
//              message parser and the handlers as if the client wrote it
// Finally the client half-closes and the node must close the connection.
//
// Beyond "no crash, leak or UB" it checks:
// - the handshake succeeds and the first message is a welcome for the client;
// - every frame the node sends after the handshake decrypts with the
//   client's transport and parses as a server message;
// - the loop settles within a bounded number of turns (no busy loop);
// - after the client leaves, the node holds no connection, session, waiting
//   handshake or event in flight, and no Redis reply is left undelivered.
#include <linux/sockios.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "client/handshake_initiator.h"
#include "connections/hub.h"
#include "crypto/bytes.h"
#include "crypto/keys.h"
#include "crypto/sealpost_noise.h"
#include "services/services.h"
#include "shared/frame_decoder.h"
#include "shared/log.h"
#include "shared/messages.h"
#include "tests/fuzz/check.h"
#include "tests/fuzz/fake_redis.h"

namespace {

namespace conn = sp::connections;
namespace crypto = sp::crypto;
namespace proto = sp::proto;
using sp::fuzz::FakeRedis;

constexpr std::string_view kClient = "fuzz-client";
constexpr size_t kMaxLines = 128;
constexpr size_t kEventsWaiting = 6;  // more than the window: acks let the rest through
constexpr int kMaxTurns = 5000;       // per wait; a loop that needs more is stuck

crypto::KeyPair FixedKey(uint8_t base) {
  uint8_t secret[crypto::kKeyBytes];
  for (size_t i = 0; i < sizeof(secret); ++i) secret[i] = static_cast<uint8_t>(base + i);
  return crypto::KeyPairFromSecret({secret, sizeof(secret)});
}

// Limits small enough for inputs of a few KB to cross them.
conn::Settings FuzzSettings() {
  conn::Settings s;
  s.bounds.max_frame_bytes = 4096;
  s.bounds.max_event_fields = 8;
  s.bounds.max_id_bytes = 64;
  s.bounds.max_event_value_bytes = 256;
  s.bounds.inflight_window = 4;
  s.bounds.max_attempts = 3;
  s.identity.node = "fuzz-node";
  s.identity.listen = "unix";
  return s;
}

sp::services::ServicesConfig FuzzServices() {
  sp::services::ServicesConfig c;
  c.node = "fuzz-node";
  return c;
}

uv_loop_t* InitLoop(uv_loop_t* loop) {
  FUZZ_CHECK(uv_loop_init(loop) == 0);
  return loop;
}

// The node: a loop, the services over the fake, the hub and a listener on an
// abstract Unix socket (no file, no port).
struct Node {
  uv_loop_t loop;
  crypto::KeyPair key = FixedKey(0x40);
  sp::services::Services services{InitLoop(&loop), FuzzServices()};
  conn::Hub hub{&loop, services, key, FuzzSettings()};
  uv_pipe_t listener;
  sockaddr_un address{};
  socklen_t address_len = 0;

  Node() {
    hub.Start();
    services.commands.Start();
    services.subscriber.Start();
    Listen();
  }

  void Listen() {
    std::string name = std::string(1, '\0') + "sealpost-fuzz-" + std::to_string(getpid());
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, name.data(), name.size());
    address_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    FUZZ_CHECK(fd >= 0);
    FUZZ_CHECK(bind(fd, reinterpret_cast<sockaddr*>(&address), address_len) == 0);
    FUZZ_CHECK(uv_pipe_init(&loop, &listener, 0) == 0);
    FUZZ_CHECK(uv_pipe_open(&listener, fd) == 0);
    listener.data = this;
    FUZZ_CHECK(uv_listen(reinterpret_cast<uv_stream_t*>(&listener), 16,
                         [](uv_stream_t* server, int status) {
                           FUZZ_CHECK(status == 0);
                           static_cast<Node*>(server->data)->hub.Accept(server);
                         }) == 0);
  }
};

Node& TheNode() {
  static Node* node = new Node();  // one node for the process, like a server
  return *node;
}

const crypto::KeyPair& ClientKey() {
  static const crypto::KeyPair key = FixedKey(0x80);
  return key;
}

// The client's end of one connection: a non-blocking Unix socket.
class Client {
 public:
  explicit Client(Node& node) : node_(node) {
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    FUZZ_CHECK(fd_ >= 0);
    FUZZ_CHECK(connect(fd_, reinterpret_cast<sockaddr*>(&node.address), node.address_len) == 0);
  }
  ~Client() { close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // One turn of the loop, then the fake's replies, then whatever the node
  // wrote. True if anything moved.
  bool Turn() {
    uv_run(&node_.loop, UV_RUN_NOWAIT);
    bool busy = FakeRedis::Get().DeliverQueued();
    busy |= Read();
    int unread = 0;  // bytes we sent that the node has not read yet
    busy |= ioctl(fd_, SIOCOUTQ, &unread) == 0 && unread > 0;
    return busy;
  }

  // Turns until nothing moved for a few turns in a row.
  void Settle() {
    int quiet = 0;
    for (int i = 0; i < kMaxTurns && quiet < 3; ++i) quiet = Turn() ? 0 : quiet + 1;
    FUZZ_CHECK(quiet >= 3);
  }

  void Handshake() {
    sealpost::HandshakeInitiator init(
        std::string(crypto::kDefaultProtocol), ClientKey(), std::string(kClient),
        crypto::Bytes(node_.key.public_key, node_.key.public_key + crypto::kKeyBytes));
    std::string frame1, frame3;
    FUZZ_CHECK(init.Start(&frame1) == sealpost::HandshakeInitiator::Result::Ok);
    SendFrame(frame1);
    for (int i = 0; i < kMaxTurns && handshake_frames_.empty(); ++i) Turn();
    FUZZ_CHECK(handshake_frames_.size() == 1);
    FUZZ_CHECK(init.OnFrame(handshake_frames_[0], &frame3, &transport_) ==
               sealpost::HandshakeInitiator::Result::Ok);
    SendFrame(frame3);
    has_transport_ = true;
    for (int i = 0; i < kMaxTurns && messages_ == 0; ++i) Turn();
    FUZZ_CHECK(welcomed_);
  }

  // One input line (see the comment at the top).
  void Line(std::string_view line) {
    if (line == "~") {
      Settle();
    } else if (!line.empty() && line[0] == '!') {
      SendFrame(line.substr(1));
    } else if (line.size() <= crypto::Transport::MaxPlaintext()) {
      std::vector<uint8_t> cipher(line.size() + crypto::Transport::Overhead());
      FUZZ_CHECK(transport_.Encrypt(crypto::AsBytes(line), cipher.data()));
      SendFrame(crypto::Base64Encode(cipher));
    }
    Turn();
  }

  // Half-closes, as a client that is done: the node must close its end.
  void Leave() {
    shutdown(fd_, SHUT_WR);
    for (int i = 0; i < kMaxTurns && !(eof_ && node_.hub.ConnectionCount() == 0); ++i) Turn();
    FUZZ_CHECK(eof_);
  }

  bool Gone() const { return eof_ || write_failed_; }

 private:
  void SendFrame(std::string_view payload) {
    std::string wire(payload);
    wire.push_back('\0');
    std::string_view rest = wire;
    for (int i = 0; i < kMaxTurns && !rest.empty() && !Gone(); ++i) {
      ssize_t n = send(fd_, rest.data(), rest.size(), MSG_NOSIGNAL);
      if (n > 0) {
        rest.remove_prefix(static_cast<size_t>(n));
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        Turn();  // the node reads, the buffer drains
      } else {
        write_failed_ = true;  // the node closed: EPIPE or ECONNRESET
      }
    }
    FUZZ_CHECK(rest.empty() || Gone());
  }

  bool Read() {
    bool got = false;
    char buf[16384];
    while (!eof_) {
      ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n == 0) eof_ = true;
      if (n <= 0) break;
      got = true;
      decoder_.Feed(std::string_view(buf, static_cast<size_t>(n)));
      std::string_view frame;
      proto::FrameStatus status;
      while ((status = decoder_.Next(&frame)) == proto::FrameStatus::Frame) OnFrame(frame);
      FUZZ_CHECK(status == proto::FrameStatus::NeedMore);
    }
    return got;
  }

  void OnFrame(std::string_view frame) {
    if (!has_transport_) {
      handshake_frames_.emplace_back(frame);
      return;
    }
    crypto::Bytes cipher;
    FUZZ_CHECK(crypto::Base64Decode(frame, &cipher));
    FUZZ_CHECK(cipher.size() >= crypto::Transport::Overhead());
    std::string json(cipher.size() - crypto::Transport::Overhead(), '\0');
    FUZZ_CHECK(transport_.Decrypt(cipher, reinterpret_cast<uint8_t*>(json.data())));
    auto parsed = proto::ParseServerMessage(json);
    FUZZ_CHECK(std::holds_alternative<proto::ServerMessage>(parsed));
    const auto& message = std::get<proto::ServerMessage>(parsed);
    if (messages_++ == 0) {
      const auto* welcome = std::get_if<proto::Welcome>(&message);
      FUZZ_CHECK(welcome != nullptr && welcome->client == kClient);
      welcomed_ = true;
    }
  }

  Node& node_;
  int fd_ = -1;
  proto::FrameDecoder decoder_{1 << 20};
  std::vector<std::string> handshake_frames_;
  crypto::Transport transport_;
  bool has_transport_ = false;
  bool welcomed_ = false;
  size_t messages_ = 0;
  bool eof_ = false;
  bool write_failed_ = false;
};

// What the node finds in Redis for this input: the client's record and a few
// events from producers, waiting in its stream.
void Provision(const Node& node) {
  FakeRedis& fake = FakeRedis::Get();
  fake.Reset();
  const auto& keys = node.services.keys;
  fake.HSet(keys.Client(kClient), "pk", crypto::PublicKeyBase64(ClientKey()));
  for (size_t i = 0; i < kEventsWaiting; ++i)
    fake.XAdd(keys.Events(kClient),
              {{"type", "note"}, {"data", std::string("{\"n\":").append(std::to_string(i)) + "}"}});
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  FUZZ_CHECK(crypto::InitCrypto());
  signal(SIGPIPE, SIG_IGN);  // as the server does
  // Quiet unless asked: FUZZ_LOG=debug shows the node's log when replaying an input.
  sp::log::Level level = sp::log::Level::Off;
  if (const char* wanted = std::getenv("FUZZ_LOG")) FUZZ_CHECK(sp::log::ParseLevel(wanted, &level));
  sp::log::Configure(level, sp::log::Format::Text);
  ClientKey();
  Node& node = TheNode();
  for (int i = 0; i < 10; ++i) {  // the links come up, subscriptions are confirmed
    uv_run(&node.loop, UV_RUN_NOWAIT);
    FakeRedis::Get().DeliverQueued();
  }
  FUZZ_CHECK(node.services.commands.IsUp() && node.services.subscriber.IsUp());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Node& node = TheNode();
  Provision(node);
  {
    Client client(node);
    client.Handshake();
    std::string_view input(reinterpret_cast<const char*>(data), size);
    for (size_t lines = 0; lines < kMaxLines && !input.empty() && !client.Gone(); ++lines) {
      size_t end = input.find('\n');
      client.Line(input.substr(0, end));
      input.remove_prefix(end == std::string_view::npos ? input.size() : end + 1);
    }
    client.Settle();
    client.Leave();
  }
  node.services.events.Flush();  // acks taken at the very end go out too
  for (int i = 0; i < 10 && FakeRedis::Get().Queued() > 0; ++i) FakeRedis::Get().DeliverQueued();
  FUZZ_CHECK(node.hub.ConnectionCount() == 0);
  FUZZ_CHECK(node.hub.SessionCount() == 0);
  FUZZ_CHECK(node.hub.HandshakesWaiting() == 0);
  FUZZ_CHECK(node.hub.InflightTotal() == 0);
  FUZZ_CHECK(FakeRedis::Get().Queued() == 0);
  return 0;
}
