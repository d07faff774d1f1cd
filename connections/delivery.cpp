// At-least-once delivery for one session: pending entries first (claimed from
// the group's pending list), then new ones, never more than the inflight
// window; resends with exponential backoff and jitter; dead letters after
// max attempts. Redis callbacks find the connection again by id and session.
#include <sodium.h>

#include <algorithm>

#include "connections/hub.h"
#include "shared/log.h"

namespace sp::connections {
namespace {

// A number in [0, bound]. Jitter needs spread, not secrecy: xorshift64 seeded
// once from the OS spares a getrandom() system call per delivered event.
uint64_t JitterUpTo(uint64_t bound) {
  static uint64_t state = (uint64_t{randombytes_random()} << 32) | randombytes_random() | 1;
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state % (bound + 1);
}

// "Equal jitter": half the exponential delay plus a random half, so each gap
// is at least as long as the previous one (the gaps grow) yet clients spread out.
uint64_t BackoffMs(const Limits& l, uint32_t attempt) {
  uint64_t delay = l.ack_timeout_ms;
  for (uint32_t i = 1; i < attempt && delay < l.backoff_cap_ms; ++i) delay *= 2;
  delay = std::min(delay, l.backoff_cap_ms);
  uint64_t half = delay / 2;
  return delay - half + JitterUpTo(half);
}

bool IsInflight(const Session& s, const std::string& id) {
  for (const Inflight& item : s.inflight)
    if (item.entry.id == id) return true;
  return false;
}

}  // namespace

void Hub::StartDelivery(Connection* conn) {
  Session* s = conn->GetSession();
  s->claim_cursor = "0-0";
  s->pending_exhausted = false;
  s->has_new = true;
  Pump(conn);
}

void Hub::Pump(Connection* conn) {
  Session* s = conn->GetSession();
  if (s == nullptr || conn->State() != ConnState::Active || shutting_down_) return;
  if (s->reading) return;
  if (s->inflight.size() >= limits_.inflight_window) return;
  if (!s->pending_exhausted)
    ClaimMore(conn);
  else if (s->has_new)
    ReadNew(conn);
}

// Resolves a Redis callback's target: the same connection, same session, still active.
#define SP_FIND_SESSION(hub, conn_id, session_id)              \
  Connection* conn = (hub)->Find(conn_id);                     \
  if (conn == nullptr || conn->State() != ConnState::Active || \
      conn->GetSession()->session_id != (session_id))          \
    return;                                                    \
  Session* s = conn->GetSession();

void Hub::ClaimMore(Connection* conn) {
  Session* s = conn->GetSession();
  s->reading = true;
  size_t room = limits_.inflight_window - s->inflight.size();
  uint64_t id = conn->Id();
  std::string session_id = s->session_id;
  services_.events.ClaimPending(
      s->client, s->claim_cursor, room,
      [this, id, session_id](bool ok, services::EventStore::Claimed claimed) {
        SP_FIND_SESSION(this, id, session_id);
        s->reading = false;
        if (!ok) return;  // Redis is away: ReloadAll() starts over when it is back
        s->claim_cursor = claimed.next_cursor;
        if (claimed.next_cursor == "0-0" || claimed.next_cursor.empty()) {
          s->pending_exhausted = true;
        }
        SendEntries(conn, std::move(claimed.entries));
        Pump(conn);
      });
}

void Hub::ReadNew(Connection* conn) {
  Session* s = conn->GetSession();
  s->reading = true;
  s->read_again = false;
  size_t room = limits_.inflight_window - s->inflight.size();
  uint64_t id = conn->Id();
  std::string session_id = s->session_id;
  services_.events.ReadNew(
      s->client, room,
      [this, id, session_id, room](bool ok, std::vector<services::StreamEntry> entries) {
        SP_FIND_SESSION(this, id, session_id);
        s->reading = false;
        if (!ok) {
          s->has_new = true;  // read again when Redis is back
          return;
        }
        // A full batch means more may be waiting; so does news that came meanwhile.
        s->has_new = entries.size() >= room || s->read_again;
        SendEntries(conn, std::move(entries));
        Pump(conn);
      });
}

void Hub::SendEntries(Connection* conn, std::vector<services::StreamEntry> entries) {
  Session* s = conn->GetSession();
  uint64_t now = NowMs();
  for (services::StreamEntry& entry : entries) {
    if (IsInflight(*s, entry.id)) continue;  // already ours (claimed again after a reconnect)
    if (entry.fields.empty()) {
      services_.events.Ack(s->client, entry.id);  // deleted by someone: nothing to deliver
      continue;
    }
    Inflight item;
    item.attempt = std::max<uint32_t>(1, entry.delivery_count);
    item.entry = std::move(entry);
    s->inflight.push_back(std::move(item));
    size_t index = s->inflight.size() - 1;
    if (s->inflight[index].attempt > limits_.max_attempts) {
      DeadLetter(conn, index, "max_attempts");
      continue;
    }
    s->inflight[index].due_ms = now + BackoffMs(limits_, s->inflight[index].attempt);
    SendEvent(conn, index);
    if (conn->State() != ConnState::Active) return;
  }
  conn->Reschedule();
}

// Returns false when the event could not be sent and left the window.
bool Hub::SendEvent(Connection* conn, size_t index) {
  Session* s = conn->GetSession();
  Inflight& item = s->inflight[index];
  proto::ServerEvent ev;
  ev.event_id = item.entry.id;
  ev.attempt = item.attempt;
  ev.event = item.entry.fields;
  ev.ts = proto::NowMs();
  std::string json = proto::Serialize(ev);
  size_t encoded = (json.size() + crypto::Transport::Overhead() + 2) / 3 * 4;
  if (json.size() > crypto::Transport::MaxPlaintext() || encoded > limits_.max_frame_bytes) {
    // It can never be delivered: say so in the dead letters instead of retrying.
    DeadLetter(conn, index, "too_large");
    return false;
  }
  conn->SendMessage(json);
  stats_.events_sent++;
  services_.usage.Add(
      s->client, item.attempt == 1 ? services::Counter::Delivered : services::Counter::Retried);
  return true;
}

void Hub::OnAck(Connection* conn, const std::string& event_id) {
  Session* s = conn->GetSession();
  auto it = std::find_if(s->inflight.begin(), s->inflight.end(),
                         [&](const Inflight& item) { return item.entry.id == event_id; });
  if (it == s->inflight.end()) return;
  s->inflight.erase(it);
  if (s->inflight.empty()) s->inflight.shrink_to_fit();  // idle sessions hold nothing
  services_.events.Ack(s->client, event_id);
  services_.usage.Add(s->client, services::Counter::Acked);
  stats_.events_acked++;
  Pump(conn);
}

void Hub::OnRetryDue(Connection* conn, uint64_t now) {
  Session* s = conn->GetSession();
  for (size_t i = 0; i < s->inflight.size();) {
    Inflight& item = s->inflight[i];
    if (item.due_ms > now) {
      ++i;
      continue;
    }
    // The client cannot have acked what is still in our socket buffers: under
    // overload that is why acks are late, and resending would add to it.
    if (conn->HasUnsentOutput()) {
      item.due_ms = now + limits_.ack_timeout_ms;
      ++i;
      continue;
    }
    if (item.attempt >= limits_.max_attempts) {
      DeadLetter(conn, i, "max_attempts");  // removes item i
      if (conn->State() != ConnState::Active) return;
      continue;
    }
    item.attempt++;
    item.due_ms = now + BackoffMs(limits_, item.attempt);
    services_.events.CountRedelivery(s->client, item.entry.id, item.attempt);
    stats_.events_resent++;
    bool still_inflight = SendEvent(conn, i);
    if (conn->State() != ConnState::Active) return;
    if (still_inflight) ++i;
  }
  Pump(conn);
}

void Hub::DeadLetter(Connection* conn, size_t index, std::string_view reason) {
  Session* s = conn->GetSession();
  Inflight item = std::move(s->inflight[index]);
  s->inflight.erase(s->inflight.begin() + static_cast<std::ptrdiff_t>(index));
  log::Info("event.dead", {{"client", s->client},
                           {"event", item.entry.id},
                           {"reason", reason},
                           {"attempts", item.attempt}});
  stats_.events_dead++;
  services_.usage.Add(s->client, services::Counter::Dead);
  // If Redis cannot take it now, the entry stays pending and is dead-lettered
  // when a later session claims it with its attempts used up.
  services_.events.DeadLetter(s->client, item.entry, reason, item.attempt, [](bool) {});
}

void Hub::OnNewEvents(const std::string& client) {
  auto it = clients_.find(client);
  if (it == clients_.end()) return;
  Connection* conn = Find(it->second);
  if (conn == nullptr || conn->GetSession() == nullptr) return;
  Session* s = conn->GetSession();
  s->has_new = true;
  if (s->reading)
    s->read_again = true;
  else
    Pump(conn);
}

void Hub::ReloadAll() {
  for (const std::string& client : ClientIds()) {
    auto it = clients_.find(client);
    Connection* conn = it == clients_.end() ? nullptr : Find(it->second);
    if (conn == nullptr || conn->GetSession() == nullptr) continue;
    // Redis may have lost recent acks (AOF everysec): re-claim the pending
    // list; entries already in flight are recognised and skipped.
    Session* s = conn->GetSession();
    s->claim_cursor = "0-0";
    s->pending_exhausted = false;
    s->has_new = true;
    Pump(conn);
  }
}

}  // namespace sp::connections
