#include "connections/delivery.h"

#include <algorithm>
#include <charconv>
#include <limits>

#include "connections/loop_context.h"
#include "crypto/sealpost_noise.h"
#include "shared/log.h"
#include "shared/messages.h"

namespace sp::connections {

// ---- Reading from Redis -------------------------------------------------------

bool Delivery::Cursor::Parse(std::string_view text) {
  size_t dash = text.find('-');
  if (dash == std::string_view::npos) return false;
  auto ms_end = std::from_chars(text.data(), text.data() + dash, ms);
  auto seq_end = std::from_chars(text.data() + dash + 1, text.data() + text.size(), seq);
  bool ok = ms_end.ec == std::errc() && ms_end.ptr == text.data() + dash &&
            seq_end.ec == std::errc() && seq_end.ptr == text.data() + text.size();
  return ok && (ms != 0 || seq != 0);
}

namespace {
constexpr uint64_t kRetryReadMs = 200;
}  // namespace

void Delivery::Restart() {
  claim_cursor_ = Cursor{};
  pending_exhausted_ = false;
  has_new_ = true;
  Pump();
}

void Delivery::StartWith(services::EventStore::Claimed claimed) {
  claim_cursor_ = Cursor{};
  pending_exhausted_ = false;
  has_new_ = true;
  OnClaimed(true, std::move(claimed.entries), std::move(claimed.next_cursor));
}

void Delivery::OnNews() {
  has_new_ = true;
  if (reading_)
    read_again_ = true;
  else
    Pump();
}

void Delivery::Pump() {
  const LoopContext& ctx = out_.Context();
  if (!out_.IsActive() || ctx.shutting_down || reading_) return;
  if (inflight_.size() >= ctx.settings.bounds.inflight_window) return;
  if (!pending_exhausted_)
    ClaimMore();
  else if (has_new_)
    ReadNew();
}

// Redis answers after an unknown time: the callbacks carry the connection id
// and find this delivery again only if its session is still live.
void Delivery::ClaimMore() {
  LoopContext& ctx = out_.Context();
  reading_ = true;
  size_t room = ctx.settings.bounds.inflight_window - inflight_.size();
  uint64_t conn_id = out_.Id();
  ConnectionEvents* events = ctx.events;
  ctx.services.events.ClaimPending(
      out_.Client(), claim_cursor_.Text(), room,
      [events, conn_id](bool ok, services::EventStore::Claimed claimed) {
        if (Delivery* self = events->FindDelivery(conn_id))
          self->OnClaimed(ok, std::move(claimed.entries), std::move(claimed.next_cursor));
      });
}

void Delivery::OnClaimed(bool ok, std::vector<services::StreamEntry> entries,
                         std::string next_cursor) {
  reading_ = false;
  if (!ok) {  // Redis is away: Restart() runs when it is back; or it refused: later
    RetryReadLater();
    return;
  }
  if (!claim_cursor_.Parse(next_cursor)) pending_exhausted_ = true;
  Take(std::move(entries));
  Pump();
}

void Delivery::ReadNew() {
  LoopContext& ctx = out_.Context();
  reading_ = true;
  read_again_ = false;
  size_t room = ctx.settings.bounds.inflight_window - inflight_.size();
  uint64_t conn_id = out_.Id();
  ConnectionEvents* events = ctx.events;
  ctx.services.events.ReadNew(
      out_.Client(), out_.Epoch(), room,
      [events, conn_id, room](bool ok, std::vector<services::StreamEntry> entries, bool fenced) {
        if (Delivery* self = events->FindDelivery(conn_id)) {
          if (fenced) {
            self->reading_ = false;
            self->out_.Superseded();
            return;
          }
          self->OnRead(ok, std::move(entries), room);
        }
      });
}

void Delivery::OnRead(bool ok, std::vector<services::StreamEntry> entries, size_t room) {
  reading_ = false;
  if (!ok) {
    has_new_ = true;  // read again when Redis is back, or soon if it is up
    RetryReadLater();
    return;
  }
  // A full batch means more may be waiting; so does news that came meanwhile.
  has_new_ = entries.size() >= room || read_again_;
  Take(std::move(entries));
  Pump();
}

// ---- Sending --------------------------------------------------------------------

void Delivery::Take(std::vector<services::StreamEntry> entries) {
  LoopContext& ctx = out_.Context();
  uint64_t now = ctx.NowMs();
  for (services::StreamEntry& entry : entries) {
    if (IsInflight(entry.id)) continue;  // already ours (claimed again after a reconnect)
    if (entry.fields.empty()) {
      ctx.services.events.Ack(out_.Client(), entry.id);  // deleted by someone: nothing to deliver
      continue;
    }
    Inflight item;
    item.attempt = std::max<uint32_t>(1, entry.delivery_count);
    item.entry = std::move(entry);
    inflight_.push_back(std::move(item));
    size_t index = inflight_.size() - 1;
    if (inflight_[index].attempt > ctx.settings.bounds.max_attempts) {
      DeadLetter(index, "max_attempts");
      continue;
    }
    inflight_[index].due_ms = now + BackoffMs(inflight_[index].attempt);
    Send(index);
    if (!out_.IsActive()) return;
  }
  out_.Reschedule();
}

// Returns false when the event could not be sent and left the window.
bool Delivery::Send(size_t index) {
  LoopContext& ctx = out_.Context();
  Inflight& item = inflight_[index];
  // One buffer for every send of the loop: its capacity is kept, so the JSON
  // of an event costs no allocation.
  std::string& json = ctx.message_scratch;
  json.clear();
  proto::AppendServerEvent(item.entry.id, item.attempt, item.entry.fields, proto::NowMs(), &json);
  size_t encoded = (json.size() + crypto::Transport::Overhead() + 2) / 3 * 4;
  if (json.size() > crypto::Transport::MaxPlaintext() ||
      encoded > ctx.settings.bounds.max_frame_bytes) {
    // It can never be delivered: say so in the dead letters instead of retrying.
    DeadLetter(index, "too_large");
    return false;
  }
  out_.SendMessage(json);
  ctx.stats.events_sent++;
  ctx.services.usage.Add(
      out_.Client(), item.attempt == 1 ? services::Counter::Delivered : services::Counter::Retried);
  return true;
}

// ---- Acks, resends, dead letters ---------------------------------------------------

bool Delivery::Ack(const std::string& event_id) {
  auto it = std::find_if(inflight_.begin(), inflight_.end(),
                         [&](const Inflight& item) { return item.entry.id == event_id; });
  if (it == inflight_.end()) return false;
  inflight_.erase(it);
  if (inflight_.empty()) inflight_.shrink_to_fit();  // idle sessions hold nothing
  LoopContext& ctx = out_.Context();
  ctx.services.events.Ack(out_.Client(), event_id);
  ctx.services.usage.Add(out_.Client(), services::Counter::Acked);
  ctx.stats.events_acked++;
  Pump();
  return true;
}

void Delivery::OnTimer(uint64_t now) {
  LoopContext& ctx = out_.Context();
  const Bounds& bounds = ctx.settings.bounds;
  if (retry_read_at_ms_ != 0 && retry_read_at_ms_ <= now) {
    retry_read_at_ms_ = 0;
    Pump();
    if (!out_.IsActive()) return;
  }
  for (size_t i = 0; i < inflight_.size();) {
    Inflight& item = inflight_[i];
    if (item.due_ms > now) {
      ++i;
      continue;
    }
    // The client cannot have acked what is still in our socket buffers: under
    // overload that is why acks are late, and resending would add to it.
    if (out_.HasUnsentOutput()) {
      item.due_ms = now + ctx.settings.timings.ack_timeout_ms;
      ++i;
      continue;
    }
    if (item.attempt >= bounds.max_attempts) {
      DeadLetter(i, "max_attempts");  // removes item i
      if (!out_.IsActive()) return;
      continue;
    }
    item.attempt++;
    item.due_ms = now + BackoffMs(item.attempt);
    ctx.services.events.CountRedelivery(out_.Client(), item.entry.id, item.attempt);
    ctx.stats.events_resent++;
    bool still_inflight = Send(i);
    if (!out_.IsActive()) return;
    if (still_inflight) ++i;
  }
  Pump();
}

void Delivery::DeadLetter(size_t index, std::string_view reason) {
  LoopContext& ctx = out_.Context();
  Inflight item = std::move(inflight_[index]);
  inflight_.erase(inflight_.begin() + static_cast<std::ptrdiff_t>(index));
  log::Info("event.dead", {{"client", out_.Client()},
                           {"event", item.entry.id},
                           {"reason", reason},
                           {"attempts", item.attempt}});
  ctx.stats.events_dead++;
  ctx.services.usage.Add(out_.Client(), services::Counter::Dead);
  // If Redis cannot take it now, the entry stays pending and is dead-lettered
  // when a later session claims it with its attempts used up.
  ctx.services.events.DeadLetter(out_.Client(), item.entry, reason, item.attempt, [](bool) {});
}

// A link that is up but refused (TRYAGAIN or CLUSTERDOWN beyond the link's
// own retries, a script error) would wait for the next notification, which
// may never come for the last events of a stream.
void Delivery::RetryReadLater() {
  LoopContext& ctx = out_.Context();
  if (!ctx.services.commands.IsUp()) return;  // Restart() follows the link's return
  retry_read_at_ms_ = ctx.NowMs() + kRetryReadMs;
  out_.Reschedule();
}

uint64_t Delivery::NextDueMs() const {
  uint64_t due = retry_read_at_ms_ != 0 ? retry_read_at_ms_ : std::numeric_limits<uint64_t>::max();
  for (const Inflight& item : inflight_) due = std::min(due, item.due_ms);
  return due;
}

// "Equal jitter": half the exponential delay plus a random half, so each gap
// is at least as long as the previous one (the gaps grow) yet clients spread out.
uint64_t Delivery::BackoffMs(uint32_t attempt) {
  LoopContext& ctx = out_.Context();
  const Timings& t = ctx.settings.timings;
  uint64_t delay = t.ack_timeout_ms;
  for (uint32_t i = 1; i < attempt && delay < t.backoff_cap_ms; ++i) delay *= 2;
  delay = std::min(delay, t.backoff_cap_ms);
  return ctx.rng.Between(delay - delay / 2, delay);
}

bool Delivery::IsInflight(const std::string& event_id) const {
  for (const Inflight& item : inflight_)
    if (item.entry.id == event_id) return true;
  return false;
}

}  // namespace sp::connections
