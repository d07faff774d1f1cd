#include "connections/hub.h"

#include <poll.h>
#include <sodium.h>

#include <cstring>

#include "shared/log.h"
#include "shared/protocol.h"

namespace sp::connections {
namespace {

constexpr size_t kReadBufferBytes = 64 * 1024;
constexpr uint64_t kTickMs = 10;

template <class T>
Hub* HubOf(T* handle) {
  return static_cast<Hub*>(handle->data);
}

// 56 random bits in 14 hex characters: unique enough to tell sessions of one
// client apart, and short enough for std::string's inline buffer (no heap).
std::string NewSessionId() {
  uint8_t raw[7];
  randombytes_buf(raw, sizeof raw);
  char hex[sizeof raw * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
  return hex;
}

// True when the peer has closed or reset the connection; one poll() with no
// wait, far cheaper than the handshake it saves.
bool PeerLeft(uv_tcp_t* tcp) {
  uv_os_fd_t fd;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(tcp), &fd) != 0) return true;
  pollfd p{fd, POLLRDHUP, 0};
  return poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

}  // namespace

Hub::Hub(uv_loop_t* loop, services::Services& services, const crypto::KeyPair& server_key,
         Limits limits)
    : loop_(loop),
      services_(services),
      server_key_(server_key),
      limits_(std::move(limits)),
      wheel_(uv_now(loop), kTickMs),
      read_buffer_(new char[kReadBufferBytes]) {
  for (uv_timer_t* t : {&tick_timer_, &usage_timer_, &beat_timer_, &poll_timer_, &drain_timer_}) {
    uv_timer_init(loop_, t);
    t->data = this;
  }
  uv_check_init(loop_, &flush_check_);
  flush_check_.data = this;
}

Hub::~Hub() = default;

uint64_t Hub::NowMs() const {
  return uv_now(loop_);
}

void Hub::Start() {
  started_ms_ = proto::NowMs();
  uv_timer_start(&tick_timer_, &Hub::OnTick, kTickMs, kTickMs);
  uv_timer_start(&usage_timer_, &Hub::OnUsageTimer, limits_.usage_flush_ms, limits_.usage_flush_ms);
  uv_timer_start(&beat_timer_, &Hub::OnBeatTimer, 0, limits_.node_beat_ms);
  uv_timer_start(&poll_timer_, &Hub::OnPollTimer, limits_.poll_interval_ms,
                 limits_.poll_interval_ms);
  // Acks gathered during one loop iteration leave together, after the reads.
  uv_check_start(&flush_check_, &Hub::OnCheck);

  // Notifications published while the subscriber was away are lost: once the
  // subscription is confirmed again, every session reads its stream.
  services_.notifier.Start([this](const std::string& client) { OnNewEvents(client); },
                           [this] {
                             for (const std::string& client : ClientIds()) OnNewEvents(client);
                           });
  services_.presence.Listen([this](const services::SessionAnnouncement& a) { KickIfOlder(a); });
  services_.commands.OnUp([this] {
    // Acks taken while Redis was away go first, or the re-claim resends them.
    services_.events.Flush();
    services_.notifier.EnsureEnabled();
    Beat();
    ReloadAll();
  });
}

// ---- Accepting -------------------------------------------------------------

void Hub::Accept(uv_stream_t* listener) {
  uint64_t id = next_id_++;
  auto* conn = new Connection(*this, id, NowMs());
  uv_tcp_init(loop_, conn->Handle());
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(conn->Handle())) != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(conn->Handle()),
             [](uv_handle_t* h) { delete static_cast<Connection*>(h->data); });
    return;
  }
  bool over_limit = conns_.size() >= limits_.max_connections;
  if (shutting_down_ || over_limit || !AllowConnectFrom(conn->Handle())) {
    // Refused before any state is built: a plaintext error, then close.
    stats_.rejected++;
    conns_.emplace(id, conn);
    conn->state_ = ConnState::Accepted;
    conn->Fail({proto::error_code::kServerBusy, shutting_down_ ? "server shutting down"
                                                : over_limit
                                                    ? "too many connections"
                                                    : "too many connections from this address"});
    return;
  }
  stats_.accepted++;
  conns_.emplace(id, conn);
  // Handshakes cost three X25519 operations each. Beyond max_handshakes in
  // progress, a new connection waits unread, in arrival order, and its
  // handshake deadline starts only when its turn comes: in a reconnect storm
  // the started handshakes finish instead of all timing out together. They
  // wait here rather than in the kernel's accept queue, which is short
  // (somaxconn) and drops SYNs once full: a dropped SYN costs its client a
  // retransmission timeout of one second or more.
  if (handshaking_ >= limits_.max_handshakes) {
    waiting_handshakes_.push_back(id);
    return;
  }
  ++handshaking_;
  conn->Start();
}

void Hub::StartWaitingHandshakes() {
  while ((handshaking_ < limits_.max_handshakes || shutting_down_) &&
         !waiting_handshakes_.empty()) {
    Connection* conn = Find(waiting_handshakes_.front());
    waiting_handshakes_.pop_front();
    if (conn == nullptr || conn->State() != ConnState::Accepted) continue;  // closed meanwhile
    if (shutting_down_) {
      conn->Fail({proto::error_code::kServerBusy, "server shutting down"});
      continue;
    }
    if (PeerLeft(conn->Handle())) {  // its client gave up waiting: spend no X25519 on it
      conn->Close("peer left while waiting for a handshake slot");
      continue;
    }
    ++handshaking_;
    conn->Start();
  }
}

// Per-IP token bucket (connect_rate_per_ip per second, burst twice that), so
// one address cannot monopolise handshakes.
bool Hub::AllowConnectFrom(uv_tcp_t* tcp) {
  uint64_t rate = limits_.connect_rate_per_ip;
  if (rate == 0) return true;
  sockaddr_storage addr{};
  int len = sizeof addr;
  uv_tcp_getpeername(tcp, reinterpret_cast<sockaddr*>(&addr), &len);
  std::string key;
  if (addr.ss_family == AF_INET) {
    auto* in = reinterpret_cast<const sockaddr_in*>(&addr);
    key.assign(reinterpret_cast<const char*>(&in->sin_addr), sizeof in->sin_addr);
  } else if (addr.ss_family == AF_INET6) {
    auto* in6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    // One bucket per /64: a single host usually owns a whole /64.
    key.assign(reinterpret_cast<const char*>(&in6->sin6_addr), 8);
  }
  uint64_t now = NowMs();
  uint64_t cap = 2 * rate * 1000;
  auto [it, inserted] = ip_buckets_.try_emplace(key, IpBucket{cap, now});
  IpBucket& b = it->second;
  b.tokens_milli = std::min(cap, b.tokens_milli + (now - b.at_ms) * rate);
  b.at_ms = now;
  if (b.tokens_milli < 1000) return false;
  b.tokens_milli -= 1000;
  return true;
}

Connection* Hub::Find(uint64_t id) {
  auto it = conns_.find(id);
  return it == conns_.end() ? nullptr : it->second;
}

uv_buf_t Hub::ReadBuffer() {
  return uv_buf_init(read_buffer_.get(), kReadBufferBytes);
}

uint8_t* Hub::Scratch(size_t size) {
  if (scratch_.size() < size) scratch_.resize(size);
  return scratch_.data();
}

// ---- Sessions ----------------------------------------------------------------

void Hub::BindClient(Connection* conn) {
  Session* s = conn->GetSession();
  s->session_id = NewSessionId();
  s->started_ms = proto::NowMs();
  auto it = clients_.find(s->client);
  if (it != clients_.end()) {
    if (Connection* old = Find(it->second)) {
      log::Info("session.replaced", {{"client", s->client}, {"old_conn", old->Id()}});
      old->Fail({proto::error_code::kReplaced, "a newer session for this client started"});
    }
  }
  clients_[s->client] = conn->Id();
  stats_.sessions_started++;
  services_.usage.Add(s->client, services::Counter::Connects);
  services_.presence.SessionStarted(s->client, s->session_id, s->started_ms);
}

// Another node (or this one) announced a session: close ours if it is older.
// Announcements can arrive after a newer local session began, so the start
// times decide, not the arrival order.
void Hub::KickIfOlder(const services::SessionAnnouncement& a) {
  auto it = clients_.find(std::string(a.client));
  if (it == clients_.end()) return;
  Connection* conn = Find(it->second);
  if (conn == nullptr || conn->GetSession() == nullptr) return;
  const Session& ours = *conn->GetSession();
  if (ours.session_id == a.session) return;
  bool newer = a.since_ms > ours.started_ms ||
               (a.since_ms == ours.started_ms && a.session > ours.session_id);
  if (!newer) return;
  log::Info("session.replaced", {{"client", a.client}, {"by_node", a.node}});
  conn->Fail({proto::error_code::kReplaced, "a newer session for this client started"});
}

void Hub::Forget(Connection* conn) {
  Session* s = conn->GetSession();
  if (s == nullptr) return;
  auto it = clients_.find(s->client);
  if (it != clients_.end() && it->second == conn->Id()) {
    clients_.erase(it);
    services_.presence.SessionEnded(s->client, s->session_id);
  }
  // Unacked events stay in the group's pending list: the next session resends them.
}

void Hub::FreeConnection(Connection* conn) {
  conns_.erase(conn->Id());
  delete conn;
}

// A copy: delivering may close a connection, which erases from clients_.
std::vector<std::string> Hub::ClientIds() const {
  std::vector<std::string> ids;
  ids.reserve(clients_.size());
  for (const auto& [client, id] : clients_) ids.push_back(client);
  return ids;
}

uint64_t Hub::InflightTotal() const {
  uint64_t n = 0;
  for (const auto& [id, conn] : conns_)
    if (conn->session_) n += conn->session_->inflight.size();
  return n;
}

// ---- Periodic work -------------------------------------------------------------

void Hub::OnTick(uv_timer_t* timer) {
  Hub* hub = HubOf(timer);
  hub->wheel_.Advance(hub->NowMs(), [hub](WheelEntry* e) {
    static_cast<Connection*>(e->owner)->OnWake(hub->NowMs());
  });
}

// After every poll phase: socket output first, then the batched Redis work.
void Hub::OnCheck(uv_check_t* check) {
  Hub* hub = HubOf(check);
  hub->StartWaitingHandshakes();
  std::vector<uint64_t> ids;
  ids.swap(hub->to_flush_);
  for (uint64_t id : ids) {
    if (Connection* conn = hub->Find(id)) conn->Flush();
  }
  hub->services_.events.Flush();
}

void Hub::OnUsageTimer(uv_timer_t* timer) {
  Hub* hub = HubOf(timer);
  hub->services_.usage.Flush();
  hub->PruneIpBuckets();
}

// A bucket that has refilled completely carries no information: dropping it
// keeps the table as small as the set of recently active addresses.
void Hub::PruneIpBuckets() {
  uint64_t now = NowMs();
  uint64_t rate = limits_.connect_rate_per_ip;
  uint64_t cap = 2 * rate * 1000;
  for (auto it = ip_buckets_.begin(); it != ip_buckets_.end();) {
    const IpBucket& b = it->second;
    bool full = rate == 0 || b.tokens_milli + (now - b.at_ms) * rate >= cap;
    it = full ? ip_buckets_.erase(it) : std::next(it);
  }
}

void Hub::OnBeatTimer(uv_timer_t* timer) {
  HubOf(timer)->Beat();
}

void Hub::Beat() {
  services::NodeInfo info;
  info.node = limits_.node;
  info.listen = limits_.listen;
  info.started_ms = started_ms_;
  info.connections = conns_.size();
  info.sessions = clients_.size();
  services_.presence.Beat(info);
}

// Fallback only: without keyspace notifications every session is read on an
// interval (docs/OPERATIONS.md explains the cost).
void Hub::OnPollTimer(uv_timer_t* timer) {
  Hub* hub = HubOf(timer);
  if (hub->services_.notifier.NotificationsEnabled()) return;
  for (const std::string& client : hub->ClientIds()) hub->OnNewEvents(client);
}

// ---- Shutdown ----------------------------------------------------------------

void Hub::BeginShutdown(std::function<void()> done) {
  if (shutting_down_) return;
  shutting_down_ = true;
  on_shutdown_done_ = std::move(done);
  log::Info("node.draining", {{"connections", conns_.size()}, {"inflight", InflightTotal()}});
  uint32_t seed = randombytes_random();
  for (auto& [id, conn] : conns_) {
    if (conn->State() != ConnState::Active) continue;
    proto::Goaway goaway;
    goaway.reason = "shutdown";
    // Jittered so the clients do not all come back in the same millisecond.
    uint64_t base = limits_.goaway_reconnect_ms;
    seed = seed * 1103515245u + 12345u;
    goaway.reconnect_ms = static_cast<int64_t>(base / 2 + (base ? seed % (base + 1) : 0));
    goaway.ts = proto::NowMs();
    conn->SendMessage(proto::Serialize(goaway));
  }
  drain_started_ms_ = NowMs();
  uv_timer_start(&drain_timer_, &Hub::OnDrainTimer, 50, 50);
}

void Hub::OnDrainTimer(uv_timer_t* timer) {
  Hub* hub = HubOf(timer);
  bool drained = hub->InflightTotal() == 0;
  if (!drained && hub->NowMs() - hub->drain_started_ms_ < hub->limits_.drain_timeout_ms) return;
  uv_timer_stop(timer);
  hub->FinishShutdown();
}

void Hub::FinishShutdown() {
  std::vector<Connection*> all;
  for (auto& [id, conn] : conns_) all.push_back(conn);
  for (Connection* conn : all) conn->Close("shutdown");
  services_.events.Flush();
  services_.usage.Flush();
  services_.presence.NodeStopping();
  for (uv_timer_t* t : {&tick_timer_, &usage_timer_, &beat_timer_, &poll_timer_, &drain_timer_}) {
    uv_close(reinterpret_cast<uv_handle_t*>(t), nullptr);
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&flush_check_), nullptr);
  log::Info("node.drained", {{"queued_acks", services_.events.QueuedAcks()}});
  if (on_shutdown_done_) on_shutdown_done_();
}

}  // namespace sp::connections
