#include "connections/hub.h"

#include "connections/client_check.h"
#include "connections/dispatch.h"
#include "connections/peer_address.h"
#include "shared/log.h"
#include "shared/protocol.h"

namespace sp::connections {
namespace {

template <class T>
Hub* HubOf(T* handle) {
  return static_cast<Hub*>(handle->data);
}

}  // namespace

Hub::Hub(uv_loop_t* loop, services::Services& services, const crypto::KeyPair& server_key,
         Settings settings)
    : settings_(std::move(settings)),
      ctx_(loop, settings_, services, server_key),
      admission_(settings_.bounds) {
  ctx_.events = this;
  ctx_.on_message = &Dispatch;
  for (uv_timer_t* t :
       {&tick_timer_, &usage_timer_, &ack_timer_, &beat_timer_, &poll_timer_, &drain_timer_}) {
    uv_timer_init(loop, t);
    t->data = this;
  }
  uv_check_init(loop, &flush_check_);
  flush_check_.data = this;
  uv_prepare_init(loop, &read_prepare_);
  read_prepare_.data = this;
}

Hub::~Hub() = default;

void Hub::Start() {
  const Timings& t = settings_.timings;
  started_ms_ = proto::NowMs();
  uv_timer_start(&tick_timer_, &Hub::OnTick, LoopContext::kTickMs, LoopContext::kTickMs);
  uv_timer_start(&usage_timer_, &Hub::OnUsageTimer, t.usage_flush_ms, t.usage_flush_ms);
  uv_timer_start(&beat_timer_, &Hub::OnBeatTimer, 0, t.node_beat_ms);
  uv_timer_start(&poll_timer_, &Hub::OnPollTimer, t.poll_interval_ms, t.poll_interval_ms);
  // Reads asked for during one loop iteration leave together: those of the
  // poll phase (Redis replies, client acks) at its end, those of timers and
  // close callbacks just before the loop waits again, so none waits a poll.
  uv_check_start(&flush_check_, &Hub::OnCheck);
  uv_prepare_start(&read_prepare_, &Hub::OnPrepare);

  services::Services& s = ctx_.services;
  // Notifications published while the subscriber was away are lost: once the
  // subscription is confirmed again, every session reads its stream.
  s.notifier.Start([this](const std::string& client) { OnNewEvents(client); },
                   [this] { ForEachDelivery([](Delivery& d) { d.OnNews(); }); });
  s.presence.Listen([this](const services::SessionAnnouncement& a) { KickIfOlder(a); });
  s.revocations.Watch([this](const std::string& client) { Recheck(client); },
                      [this] {
                        for (const std::string& client : ctx_.table.ClientIds()) Recheck(client);
                      });
  s.commands.OnUp([this, &s] {
    // Acks taken while Redis was away go first, or the re-claim resends them.
    s.events.Flush();
    s.notifier.EnsureEnabled();
    Beat();
    // Redis may have lost recent acks (AOF everysec): every session re-claims
    // its pending list; entries already in flight are recognised and skipped.
    ForEachDelivery([](Delivery& d) { d.Restart(); });
  });
}

// ---- Accepting -------------------------------------------------------------

void Hub::Accept(uv_stream_t* listener) {
  uint64_t id = next_id_++;
  auto* conn = new Connection(ctx_, id);
  uv_tcp_init(ctx_.loop, conn->Handle());
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(conn->Handle())) != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(conn->Handle()),
             [](uv_handle_t* h) { delete static_cast<Connection*>(h->data); });
    return;
  }
  PeerAddress peer;
  uint64_t source =
      PeerAddress::Of(conn->Handle(), &peer) ? peer.SourceKey() : Admission::kUnknownSource;
  std::string_view refusal = ctx_.shutting_down
                                 ? "server shutting down"
                                 : admission_.Refusal(source, ctx_.table.Size(), ctx_.NowMs());
  ctx_.table.Add(id, conn);
  if (!refusal.empty()) {
    // Refused before any state is built: a plaintext error, then close.
    ctx_.stats.rejected++;
    conn->Fail({proto::error_code::kServerBusy, std::string(refusal)});
    return;
  }
  ctx_.stats.accepted++;
  conn->SetSource(source);
  admission_.Opened(source);
  conn->Start();
}

// Message 1 is here: run it now if a slot is free, else park it in line.
bool Hub::AdmitHandshake(Connection& conn, std::string_view first_frame) {
  if (admission_.TryTakeSlot()) return true;
  if (!admission_.Park({conn.Id(), conn.Source(), std::string(first_frame)})) {
    ctx_.stats.rejected++;
    conn.Fail({proto::error_code::kServerBusy, "too many handshakes waiting from this address"});
    return false;
  }
  conn.Park();
  return false;
}

void Hub::StartWaitingHandshakes() {
  while (std::optional<Admission::Parked> parked = admission_.NextParked(ctx_.shutting_down)) {
    Connection* conn = ctx_.table.Find(parked->conn_id);
    if (conn == nullptr || conn->State() != ConnState::WaitingForSlot) continue;  // gone meanwhile
    if (ctx_.shutting_down) {
      conn->Fail({proto::error_code::kServerBusy, "server shutting down"});
    } else if (PeerHasLeft(conn->Handle())) {  // its client gave up waiting: spend no X25519
      conn->Close("peer left while waiting for a handshake slot");
    } else {
      admission_.TakeSlot();
      conn->ResumeHandshake(parked->first_frame);
    }
  }
}

// ---- ConnectionEvents ------------------------------------------------------------

void Hub::OnHandshakeEnded(Connection& /*conn*/) {
  admission_.ReleaseSlot();
}

// Binds an authenticated client; an older local session is replaced. The
// start script has run: presence is recorded and the epoch is known.
void Hub::OnAuthenticated(Connection& conn, const services::SessionStart& start) {
  Session& s = *conn.GetSession();
  // A newer session was announced while the script's answer was on its way:
  // it owns presence now (its script ran after ours), so there is nothing to
  // bind, announce or undo.
  if (s.fence.OnOwnEpoch(start.epoch)) {
    log::Info("session.replaced", {{"client", s.client}, {"epoch", start.epoch}});
    conn.Fail({proto::error_code::kReplaced, "a newer session for this client started"});
    return;
  }
  if (uint64_t previous = ctx_.table.Bind(s.client, conn.Id())) {
    if (Connection* old = ctx_.table.Find(previous)) {
      log::Info("session.replaced", {{"client", s.client}, {"old_conn", old->Id()}});
      old->Fail({proto::error_code::kReplaced, "a newer session for this client started"});
    }
  }
  ctx_.stats.sessions_started++;
  admission_.Established(conn.Source(), ctx_.NowMs());
  ctx_.services.usage.Add(s.client, services::Counter::Connects);
  ctx_.services.presence.NodeHolds(s.client, start.since_ms);
  // A session that replaces a live one is no change for the groups.
  if (!start.replaced_live_session && !start.groups.empty())
    ctx_.services.groups.NotifyPresence(s.client, "joined", settings_.identity.node, start.groups);
}

// The start script ran for a connection that is gone (or was refused after
// all): presence names a session nobody holds. It ends as a session that
// ended at once; "joined" was never sent for it, so "left" is due only when
// it replaced a live session (whose own end no longer finds it present).
void Hub::OnStartAbandoned(const std::string& client, uint64_t session_id,
                           const services::SessionStart& start) {
  services::Groups* groups = &ctx_.services.groups;
  const std::string* node = &settings_.identity.node;
  bool replaced = start.replaced_live_session;
  ctx_.services.presence.SessionEnded(
      client, Session::IdText(session_id),
      [groups, node, client, replaced](const std::vector<std::string>& client_groups) {
        if (replaced && !client_groups.empty())
          groups->NotifyPresence(client, "left", *node, client_groups);
      });
}

// Unacked events stay in the group's pending list: the next session resends them.
void Hub::OnClosing(Connection& conn) {
  Session* s = conn.GetSession();
  if (s == nullptr || !ctx_.table.Unbind(s->client, conn.Id())) return;
  services::Groups* groups = &ctx_.services.groups;
  const std::string* node = &settings_.identity.node;
  // Only a session that was still the client's current one has left.
  ctx_.services.presence.SessionEnded(
      s->client, s->SessionIdText(),
      [groups, node, client = s->client](const std::vector<std::string>& client_groups) {
        if (!client_groups.empty()) groups->NotifyPresence(client, "left", *node, client_groups);
      });
}

void Hub::OnClosed(Connection& conn) {
  admission_.Closed(conn.Source());
  ctx_.table.Remove(conn.Id());
  delete &conn;
}

Delivery* Hub::FindDelivery(uint64_t conn_id) {
  Connection* conn = ctx_.table.Find(conn_id);
  if (conn == nullptr || conn->State() != ConnState::Active) return nullptr;
  return &conn->GetSession()->delivery;
}

// ---- Sessions ----------------------------------------------------------------

// Another node (or this one) announced a session: close ours if it is older.
// The epochs from Redis decide (SessionFence), neither the arrival order nor
// the nodes' clocks.
void Hub::KickIfOlder(const services::SessionAnnouncement& a) {
  ctx_.starting.OnAnnounced(a.client, a.session, a.epoch);  // starts not answered yet
  Connection* conn = ctx_.table.FindClient(std::string(a.client));
  if (conn == nullptr || conn->GetSession() == nullptr) return;
  Session& ours = *conn->GetSession();
  if (ours.SessionIdText() == a.session) return;
  if (!ours.fence.OnAnnounced(a.epoch)) return;
  log::Info("session.replaced", {{"client", a.client}, {"by_node", a.node}});
  conn->Fail({proto::error_code::kReplaced, "a newer session for this client started"});
}

void Hub::OnNewEvents(const std::string& client) {
  Connection* conn = ctx_.table.FindClient(client);
  if (conn != nullptr && conn->IsActive()) conn->GetSession()->delivery.OnNews();
}

// A client's record changed (disabled, new key, removed): a live session of
// it here must end at once if the record no longer admits it.
void Hub::Recheck(const std::string& client) {
  Connection* conn = ctx_.table.FindClient(client);
  if (conn == nullptr || !conn->IsActive()) return;
  uint64_t id = conn->Id();
  ctx_.services.registry.Lookup(client, [this, id](services::ClientRecord record) {
    Connection* c = ctx_.table.Find(id);
    if (c == nullptr || !c->IsActive()) return;
    ClientVerdict verdict = RecheckClient(record, c->GetSession()->key_tag);
    if (!verdict.accepted) {
      c->Fail({verdict.code, std::string(verdict.message)});
    } else if (record.status == services::ClientRecord::Status::Found) {
      Session& session = *c->GetSession();  // quota and policy may have changed
      session.SetQuota(settings_.bounds, record.quota, ctx_.NowMs());
      if (!session.SetPolicy(settings_.messaging.defaults, record.direct_policy,
                             record.group_policy))
        log::Warn("client.bad_policy", {{"client", session.client}});
    }
  });
}

// Walks a copy of the client ids: delivering may close a connection.
void Hub::ForEachDelivery(const std::function<void(Delivery&)>& fn) {
  for (const std::string& client : ctx_.table.ClientIds()) {
    Connection* conn = ctx_.table.FindClient(client);
    if (conn != nullptr && conn->IsActive()) fn(conn->GetSession()->delivery);
  }
}

uint64_t Hub::InflightTotal() const {
  uint64_t n = 0;
  for (Connection* conn : ctx_.table.All())
    if (Session* s = conn->GetSession()) n += s->delivery.InflightCount();
  return n;
}

std::vector<std::string> Hub::SessionClients(size_t max) const {
  return ctx_.table.ClientIds(max);
}

// ---- Periodic work -------------------------------------------------------------

void Hub::OnTick(uv_timer_t* timer) {
  LoopContext& ctx = HubOf(timer)->ctx_;
  ctx.wheel.Advance(ctx.NowMs(), [&ctx](WheelEntry* e) {
    static_cast<Connection*>(e->owner)->OnWake(ctx.NowMs());
  });
}

// After every poll phase: waiting handshakes, socket output, then the batched Redis work.
void Hub::OnCheck(uv_check_t* check) {
  Hub* hub = HubOf(check);
  hub->StartWaitingHandshakes();
  std::vector<uint64_t> ids;
  ids.swap(hub->ctx_.to_flush);
  for (uint64_t id : ids) {
    if (Connection* conn = hub->ctx_.table.Find(id)) conn->Flush();
  }
  services::EventStore& events = hub->ctx_.services.events;
  events.SendReads();
  hub->ctx_.services.presence.Flush();  // the node's client list: one HSET per iteration
  // Acks wait up to ack_flush_ms for others, so that at a steady rate spread
  // over many clients one script call carries many of them.
  if (!events.HasQueued() || uv_is_active(reinterpret_cast<uv_handle_t*>(&hub->ack_timer_))) return;
  uint64_t wait = hub->settings_.timings.ack_flush_ms;
  if (wait == 0)
    events.Flush();
  else
    uv_timer_start(&hub->ack_timer_, &Hub::OnAckTimer, wait, 0);
}

void Hub::OnPrepare(uv_prepare_t* prepare) {
  HubOf(prepare)->ctx_.services.events.SendReads();
}

void Hub::OnAckTimer(uv_timer_t* timer) {
  HubOf(timer)->ctx_.services.events.Flush();
}

void Hub::OnUsageTimer(uv_timer_t* timer) {
  Hub* hub = HubOf(timer);
  hub->ctx_.services.usage.Flush();
  hub->admission_.Prune(hub->ctx_.NowMs());
}

void Hub::OnBeatTimer(uv_timer_t* timer) {
  HubOf(timer)->Beat();
}

void Hub::Beat() {
  services::NodeInfo info;
  info.node = settings_.identity.node;
  info.listen = settings_.identity.listen;
  info.started_ms = started_ms_;
  info.connections = ctx_.table.Size();
  info.sessions = ctx_.table.SessionCount();
  ctx_.services.presence.Beat(info);
}

// Fallback only: without keyspace notifications every session is read on an
// interval (docs/OPERATIONS.md explains the cost).
void Hub::OnPollTimer(uv_timer_t* timer) {
  Hub* hub = HubOf(timer);
  if (hub->ctx_.services.notifier.NotificationsEnabled()) return;
  hub->ForEachDelivery([](Delivery& d) { d.OnNews(); });
  // Without notifications, revocations are found by asking too.
  for (const std::string& client : hub->ctx_.table.ClientIds()) hub->Recheck(client);
}

// ---- Shutdown ----------------------------------------------------------------

void Hub::BeginShutdown(std::function<void()> done) {
  if (ctx_.shutting_down) return;
  ctx_.shutting_down = true;
  on_shutdown_done_ = std::move(done);
  log::Info("node.draining", {{"connections", ctx_.table.Size()}, {"inflight", InflightTotal()}});
  SendGoaways();
  drain_started_ms_ = ctx_.NowMs();
  uv_timer_start(&drain_timer_, &Hub::OnDrainTimer, 50, 50);
}

// Jittered within [0.5, 1.5] of the configured delay, so the clients do not
// all come back in the same millisecond.
void Hub::SendGoaways() {
  uint64_t base = settings_.timings.goaway_reconnect_ms;
  for (Connection* conn : ctx_.table.All()) {
    if (!conn->IsActive()) continue;
    proto::Goaway goaway;
    goaway.reason = "shutdown";
    goaway.reconnect_ms = static_cast<int64_t>(ctx_.rng.Between(base / 2, base / 2 + base));
    goaway.ts = proto::NowMs();
    conn->SendMessage(proto::Serialize(goaway));
  }
}

void Hub::OnDrainTimer(uv_timer_t* timer) {
  Hub* hub = HubOf(timer);
  bool drained = hub->InflightTotal() == 0;
  uint64_t waited = hub->ctx_.NowMs() - hub->drain_started_ms_;
  if (!drained && waited < hub->settings_.timings.drain_ms) return;
  uv_timer_stop(timer);
  hub->FinishShutdown();
}

void Hub::FinishShutdown() {
  for (Connection* conn : ctx_.table.All()) conn->Close("shutdown");
  services::Services& s = ctx_.services;
  s.events.Flush();
  s.usage.Flush();
  s.presence.NodeStopping();
  for (uv_timer_t* t :
       {&tick_timer_, &usage_timer_, &ack_timer_, &beat_timer_, &poll_timer_, &drain_timer_})
    uv_close(reinterpret_cast<uv_handle_t*>(t), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&flush_check_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&read_prepare_), nullptr);
  log::Info("node.drained", {{"queued_acks", s.events.QueuedAcks()}});
  if (on_shutdown_done_) on_shutdown_done_();
}

}  // namespace sp::connections
