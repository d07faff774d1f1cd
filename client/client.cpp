// sealpost::Client lifecycle: options, reconnects, deadlines and the queue of
// client-events awaiting the server's ack. The wire side is in client_conn.cpp.
#include <sodium.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "client/client_impl.h"
#include "client/server_list.h"
#include "client/trust_files.h"
#include "crypto/bytes.h"
#include "shared/client_id.h"

namespace sealpost {

using internal::Phase;

std::string_view Event::Get(std::string_view name) const {
  for (const auto& [key, value] : fields)
    if (key == name) return value;
  return {};
}

// ---- Public wrappers ----------------------------------------------------------

Client::Client(uv_loop_t* loop, ClientOptions options, ClientCallbacks callbacks)
    : impl_(new Impl(loop, std::move(options), std::move(callbacks))) {}
Client::~Client() {
  impl_->Destroy();
}
bool Client::Start(std::string* error) {
  return impl_->Start(error);
}
void Client::Stop() {
  impl_->Stop();
}
void Client::Reconnect() {
  impl_->Reconnect();
}
void Client::PauseEvents(bool paused) {
  impl_->PauseEvents(paused);
}
Client::SendResult Client::SendEvent(std::string type, std::string data, Fields extra) {
  return impl_->SendEvent(std::move(type), std::move(data), std::move(extra));
}

Client::SendResult Client::SendEventTo(std::string to, std::string type, std::string data,
                                       Fields extra) {
  return impl_->SendEventTo(std::move(to), std::move(type), std::move(data), std::move(extra));
}

Client::SendResult Client::Request(std::string method, std::string params_json,
                                   std::function<void(const Reply&)> on_reply,
                                   RequestOptions options) {
  return impl_->Request(std::move(method), std::move(params_json), std::move(on_reply),
                        std::move(options));
}
bool Client::IsConnected() const {
  return impl_->IsConnected();
}
size_t Client::PendingSends() const {
  return impl_->PendingSends();
}
const ClientStats& Client::Stats() const {
  return impl_->Stats();
}
const std::string& Client::Id() const {
  return impl_->Id();
}

// ---- Setup --------------------------------------------------------------------

Client::Impl::Impl(uv_loop_t* loop, ClientOptions options, ClientCallbacks callbacks)
    : loop_(loop),
      options_(std::move(options)),
      callbacks_(std::move(callbacks)),
      backoff_(options_.backoff_min_ms, options_.backoff_max_ms),
      dedup_(options_.dedup_window) {
  uint8_t random[6];
  randombytes_buf(random, sizeof random);
  // Ids stay unique across restarts of the same client id: a random prefix
  // per Client object, then a counter.
  id_prefix_ = sp::crypto::HexEncode({random, sizeof random});
}

bool Client::Impl::LoadKey(std::string* error) {
  if (options_.key) {
    key_ = options_.key;
    return true;
  }
  if (options_.key_file.empty()) {
    *error = "no key: set a key file";
    return false;
  }
  auto pair = std::make_shared<sp::crypto::KeyPair>();
  if (!internal::LoadOrCreateKey(options_.key_file, pair.get(), error)) return false;
  key_ = std::move(pair);
  return true;
}

// Accepts "host:port" and "[v6]:port" entries (ServerEntries); names are
// resolved once, here: a name that does not resolve is a mistake to report
// now rather than an attempt that fails on every round.
bool Client::Impl::ParseServers(std::string* error) {
  std::vector<std::string> entries;
  if (!internal::ServerEntries(options_.server, options_.servers, &entries, error)) return false;
  servers_.clear();
  for (std::string& entry : entries) {
    std::string host;
    uint16_t port = 0;
    if (!internal::SplitHostPort(entry, &host, &port, error)) return false;
    Server server;
    server.label = options_.server_name.empty() ? entry : options_.server_name;
    auto* in4 = reinterpret_cast<sockaddr_in*>(&server.addr);
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&server.addr);
    if (uv_ip4_addr(host.c_str(), port, in4) != 0 && uv_ip6_addr(host.c_str(), port, in6) != 0) {
      uv_getaddrinfo_t req;
      addrinfo hints{};
      hints.ai_socktype = SOCK_STREAM;
      std::string service = std::to_string(port);
      if (uv_getaddrinfo(loop_, &req, nullptr, host.c_str(), service.c_str(), &hints) != 0 ||
          req.addrinfo == nullptr) {
        *error = "cannot resolve '" + host + "'";
        return false;
      }
      std::memcpy(&server.addr, req.addrinfo->ai_addr, req.addrinfo->ai_addrlen);
      uv_freeaddrinfo(req.addrinfo);
    }
    server.entry = std::move(entry);
    servers_.push_back(std::move(server));
  }
  // Many clients started together with the same list would all try its
  // first entry first: a random start spreads them over the nodes.
  size_t n = servers_.size();
  server_ = options_.first_server >= 0 ? static_cast<size_t>(options_.first_server) % n
                                       : static_cast<size_t>(rng_.Between(0, n - 1));
  return true;
}

void Client::Impl::NextServer() {
  server_ = (server_ + 1) % servers_.size();
}

bool Client::Impl::Start(std::string* error) {
  if (started_) return true;
  if (!sp::crypto::InitCrypto()) {
    *error = "cannot initialise libsodium";
    return false;
  }
  if (!sp::proto::IsValidClientId(options_.client_id)) {
    *error = "invalid client id '" + options_.client_id + "' (1-64 of A-Z a-z 0-9 _ . -)";
    return false;
  }
  if (!sp::crypto::IsSealpostProtocol(options_.protocol)) {
    *error = "unsupported protocol '" + options_.protocol + "'";
    return false;
  }
  if (!options_.server_public_key.empty()) {
    uint8_t pinned[sp::crypto::kKeyBytes];
    if (!sp::crypto::ParsePublicKey(options_.server_public_key, pinned)) {
      *error = "server public key must be base64 of 32 bytes";
      return false;
    }
    pinned_.assign(pinned, pinned + sizeof pinned);
  } else if (options_.known_servers_file.empty()) {
    *error = "need the server public key or a known-servers file";
    return false;
  }
  if (!ParseServers(error) || !LoadKey(error)) return false;
  if (!options_.bind_host.empty()) {
    auto* in4 = reinterpret_cast<sockaddr_in*>(&bind_addr_);
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&bind_addr_);
    if (uv_ip4_addr(options_.bind_host.c_str(), 0, in4) != 0 &&
        uv_ip6_addr(options_.bind_host.c_str(), 0, in6) != 0) {
      *error = "bad bind address '" + options_.bind_host + "'";
      return false;
    }
    have_bind_ = true;
  }
  if (!timer_init_) {  // a restart after Stop() reuses the timer
    uv_timer_init(loop_, &timer_);
    timer_.data = this;
    timer_init_ = true;
  }
  started_ = true;
  BeginAttempt();
  return true;
}

// ---- Connection lifecycle -------------------------------------------------------

void Client::Impl::BeginAttempt() {
  reconnect_at_ = 0;
  phase_ = Phase::Connecting;
  stats_.attempts++;
  conn_ = new internal::Conn(this);
  conn_->owner = this;
  uv_tcp_init(loop_, &conn_->tcp);
  uv_timer_init(loop_, &conn_->piece_timer);
  conn_->tcp.data = conn_;
  conn_->piece_timer.data = conn_;
  conn_->open_handles = 2;
  attempt_deadline_ = uv_now(loop_) + options_.connect_timeout_ms;
  int rc = have_bind_ ? BindSource() : 0;
  if (rc == 0) {
    rc = uv_tcp_connect(&conn_->connect_req, &conn_->tcp,
                        reinterpret_cast<sockaddr*>(&servers_[server_].addr),
                        [](uv_connect_t* req, int st) {
                          auto* conn = static_cast<internal::Conn*>(req->handle->data);
                          if (conn->owner) conn->owner->OnConnected(conn, st);
                        });
  }
  if (rc != 0) {
    Fail({std::string(errors::kConnectFailed), uv_strerror(rc), true, false, {}, {}});
    return;
  }
  Arm();
}

// Binds the socket to options_.bind_host. The kernel picks the source port at
// connect() time (IP_BIND_ADDRESS_NO_PORT): a plain bind to port 0 must find a
// port free for every destination, a linear scan that costs milliseconds per
// socket once tens of thousands of ports are in use or in TIME_WAIT.
int Client::Impl::BindSource() {
  int fd = socket(bind_addr_.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return uv_translate_sys_error(errno);
#ifdef IP_BIND_ADDRESS_NO_PORT
  int one = 1;
  (void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);  // best effort
#endif
  int rc = uv_tcp_open(&conn_->tcp, fd);
  if (rc != 0) {
    close(fd);
    return rc;
  }
  return uv_tcp_bind(&conn_->tcp, reinterpret_cast<const sockaddr*>(&bind_addr_), 0);
}

void Client::Impl::DropConnection() {
  if (conn_) {
    conn_->Abandon();
    conn_ = nullptr;
  }
  for (auto& p : pending_) p.sent = false;  // resent on the next session
  phase_ = Phase::Idle;
  attempt_deadline_ = 0;
  goaway_close_at_ = 0;
}

// Every way a connection or an attempt ends comes through here.
void Client::Impl::Fail(const ClientError& error) {
  bool was_active = phase_ == Phase::Active;
  bool reached_server = phase_ == Phase::AwaitingMsg2 || phase_ == Phase::AwaitingWelcome;
  DropConnection();
  if (reached_server) stats_.handshake_failures++;
  if (was_active && callbacks_.on_disconnected && !destroying_) {
    callbacks_.on_disconnected(error.message);
  }
  // A plain disconnect of a working session is not an error; anything else is.
  if (!was_active || error.code != errors::kConnectionLost) ReportError(error);
  if (destroying_ || !started_ || phase_ != Phase::Idle) return;  // stopped or restarted
  if (error.fatal) return;
  // Whatever ended this attempt or session (refused, timed out, lost, a
  // goaway, a refusal like server_busy) may be this node's alone: the next
  // attempt goes to the next server of the list.
  NextServer();
  bool went_away = goaway_delay_ >= 0;
  if (was_active && (went_away || uv_now(loop_) - active_since_ >= options_.healthy_session_ms))
    backoff_.Reset();
  uint64_t delay = backoff_.Next();
  if (went_away) delay = static_cast<uint64_t>(goaway_delay_);
  goaway_delay_ = -1;
  // Another session took our id: do not kick it straight back.
  if (error.code == sp::proto::error_code::kReplaced) delay = std::max<uint64_t>(delay, 1000);
  ScheduleReconnect(delay);
}

void Client::Impl::ScheduleReconnect(uint64_t delay_ms) {
  phase_ = Phase::Waiting;
  reconnect_at_ = uv_now(loop_) + delay_ms;
  Arm();
}

void Client::Impl::ReportError(const ClientError& error) {
  stats_.errors++;
  if (callbacks_.on_error && !destroying_) callbacks_.on_error(error);
}

void Client::Impl::Stop() {
  if (!started_) return;
  started_ = false;
  DropConnection();
  reconnect_at_ = 0;
  if (timer_init_) uv_timer_stop(&timer_);
}

void Client::Impl::Destroy() {
  destroying_ = true;
  Stop();
  if (!timer_init_) {
    delete this;
    return;
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_),
           [](uv_handle_t* h) { delete static_cast<Client::Impl*>(h->data); });
}

void Client::Impl::Reconnect() {
  if (!started_) return;
  bool was_active = phase_ == Phase::Active;
  DropConnection();
  if (was_active && callbacks_.on_disconnected && !destroying_) {
    callbacks_.on_disconnected("reconnect requested");
  }
  if (started_ && phase_ == Phase::Idle) BeginAttempt();
}

// ---- Deadlines: one timer per client, armed for the earliest ------------------

void Client::Impl::Arm() {
  if (!timer_init_ || !started_) return;
  uint64_t now = uv_now(loop_);
  uint64_t next = UINT64_MAX;
  auto consider = [&next](uint64_t at) {
    if (at != 0) next = std::min(next, at);
  };
  if (phase_ == Phase::Waiting) consider(reconnect_at_);
  if (phase_ != Phase::Active) consider(attempt_deadline_);
  if (phase_ == Phase::Active) {
    if (idle_limit_ms_ != 0) consider(last_rx_ + idle_limit_ms_);
    consider(goaway_close_at_);
    for (const auto& p : pending_)
      if (!p.sent && p.retry_at > now) consider(p.retry_at);
  }
  consider(NextRequestDeadline());
  if (next == UINT64_MAX) {
    uv_timer_stop(&timer_);
    return;
  }
  uv_timer_start(&timer_, &Impl::OnTimer, next > now ? next - now : 0, 0);
}

void Client::Impl::OnTimer(uv_timer_t* timer) {
  static_cast<Impl*>(timer->data)->OnDeadlines(uv_now(timer->loop));
}

void Client::Impl::OnDeadlines(uint64_t now) {
  ExpireRequests(now);
  bool connecting = phase_ == Phase::Connecting || phase_ == Phase::AwaitingMsg2 ||
                    phase_ == Phase::AwaitingWelcome;
  if (phase_ == Phase::Waiting && now >= reconnect_at_) {
    BeginAttempt();
  } else if (connecting && attempt_deadline_ != 0 && now >= attempt_deadline_) {
    Fail({std::string(errors::kTimeout), "timed out", true, false, {}, {}});
  } else if (phase_ == Phase::Active && idle_limit_ms_ != 0 && now >= last_rx_ + idle_limit_ms_) {
    Fail({std::string(errors::kConnectionLost),
          "server silent for " + std::to_string(now - last_rx_) + " ms",
          true,
          false,
          {},
          {}});
  } else if (phase_ == Phase::Active && goaway_close_at_ != 0 && now >= goaway_close_at_) {
    Fail({std::string(errors::kConnectionLost), "server going away", true, false, {}, {}});
  } else if (phase_ == Phase::Active) {
    FlushSends();
  }
  Arm();
}

// ---- Client-events ------------------------------------------------------------

std::string Client::Impl::NextId() {
  return id_prefix_ + "-" + std::to_string(++id_counter_);
}

Client::SendResult Client::Impl::SendEvent(std::string type, std::string data, Fields extra) {
  return SendEventTo({}, std::move(type), std::move(data), std::move(extra));
}

Client::SendResult Client::Impl::SendEventTo(std::string to, std::string type, std::string data,
                                             Fields extra) {
  SendResult result;
  if (type.empty()) {
    result.error = "event type must not be empty";
    return result;
  }
  if (!to.empty() && !sp::proto::IsValidTarget(to)) {
    result.error = "'" + to + "' is neither a client id nor group:<name>";
    return result;
  }
  for (const auto& [name, value] : extra) {
    if (name == "type" || name == "data" || sp::proto::IsServerField(name)) {
      result.error = "field name '" + name + "' is reserved";
      return result;
    }
  }
  sp::proto::ClientEvent message;
  message.to = std::move(to);
  message.event.reserve(2 + extra.size());
  message.event.emplace_back("type", std::move(type));
  message.event.emplace_back("data", std::move(data));
  for (auto& field : extra) message.event.push_back(std::move(field));
  internal::PendingSend p;
  p.id = NextId();
  message.id = p.id;
  message.ts = sp::proto::NowMs();
  size_t json = sp::proto::Serialize(message).size();
  p.message = std::move(message);
  return Admit(std::move(p), json);
}

// Queues what the server can accept; refuses now what it never could
// (resending it would loop) and what does not fit the queue.
Client::SendResult Client::Impl::Admit(internal::PendingSend p, size_t json_bytes) {
  SendResult result;
  if (pending_.size() >= options_.send_queue_limit) {
    result.error = "send queue full (" + std::to_string(pending_.size()) +
                   " events awaiting the server's ack)";
    return result;
  }
  size_t json = json_bytes + 16;  // room for a longer ts
  size_t frame = (json + sp::crypto::Transport::Overhead() + 2) / 3 * 4;
  size_t max_frame = max_frame_bytes_ ? max_frame_bytes_ : sp::proto::kDefaultMaxFrameBytes;
  if (json > sp::crypto::Transport::MaxPlaintext() || frame > max_frame) {
    result.error = "event too large: " + std::to_string(json) + " bytes of JSON make a " +
                   std::to_string(frame) + "-byte frame; the server's limit is " +
                   std::to_string(max_frame) + " bytes";
    return result;
  }
  result.id = p.id;
  pending_.push_back(std::move(p));
  FlushSends();
  return result;
}

void Client::Impl::FlushSends() {
  if (phase_ != Phase::Active || goaway_close_at_ != 0) return;  // none on a closing session
  uint64_t now = uv_now(loop_);
  std::vector<std::string> too_large;
  for (auto& p : pending_) {
    if (p.sent || p.retry_at > now) continue;
    std::string json = std::visit(
        [](auto& message) {
          message.ts = sp::proto::NowMs();
          return sp::proto::Serialize(message);
        },
        p.message);
    // Queued before welcome told us the server's limit: the server would
    // close the connection for it, and every reconnect would send it again.
    size_t frame = (json.size() + sp::crypto::Transport::Overhead() + 2) / 3 * 4;
    if (max_frame_bytes_ != 0 && frame > max_frame_bytes_) {
      too_large.push_back(p.id);
      continue;
    }
    if (!SendMessage(json)) return;
    p.sent = true;
    if (phase_ != Phase::Active) return;
  }
  for (const std::string& id : too_large) {
    sp::proto::Error refused = sp::proto::MakeError(
        errors::kTooLarge, "event too large: its frame exceeds the server's limit of " +
                               std::to_string(max_frame_bytes_) + " bytes");
    refused.id = id;
    OnSendError(refused);  // not retryable: dropped and reported (or the request finished)
  }
}

void Client::Impl::OnSendAck(const std::string& id) {
  auto it = std::find_if(pending_.begin(), pending_.end(),
                         [&](const internal::PendingSend& p) { return p.id == id; });
  if (it == pending_.end()) return;  // ack of a resend already acknowledged
  pending_.erase(it);
  stats_.sends_acked++;
  if (callbacks_.on_event_ack && !destroying_) callbacks_.on_event_ack(id);
}

void Client::Impl::OnSendError(const sp::proto::Error& error) {
  auto it = std::find_if(pending_.begin(), pending_.end(),
                         [&](const internal::PendingSend& p) { return p.id == error.id; });
  if (it == pending_.end()) return;
  if (error.retry) {
    it->sent = false;
    it->retry_at = uv_now(loop_) + rng_.Between(500, 1500);
    Arm();
    return;
  }
  bool request = std::holds_alternative<sp::proto::Request>(it->message);
  pending_.erase(it);
  ClientError refused{error.code, error.message, false, false, error.id, {}};
  if (request)
    FinishRequest(error.id, std::move(refused));  // the caller hears it through on_reply
  else
    ReportError(refused);
}

}  // namespace sealpost
