// At-least-once delivery for one session: pending entries first (claimed from
// the group's pending list), then new ones, never more than the inflight
// window; resends with exponential backoff and jitter; dead letters after
// max attempts. An event id travels Redis -> Delivery -> outlet (the
// connection) -> socket, and its ack comes straight back through Ack().
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "services/event_store.h"
#include "services/stream_entry.h"

namespace sp::connections {

struct LoopContext;

// Where a delivery sends its events: the session's connection.
class DeliveryOutlet {
 public:
  virtual LoopContext& Context() = 0;
  virtual uint64_t Id() const = 0;  // the connection id, for Redis callbacks
  virtual const std::string& Client() const = 0;
  virtual bool IsActive() const = 0;
  // Encrypts and queues one message; false when it could not be queued.
  virtual bool SendMessage(const std::string& json) = 0;
  // True while written frames have not all reached the kernel yet.
  virtual bool HasUnsentOutput() = 0;
  // The delivery's next due time changed.
  virtual void Reschedule() = 0;
  // The session's epoch (SessionFence), which reads are fenced by.
  virtual uint64_t Epoch() const = 0;
  // Redis refused a read: a newer session of the client holds the epoch.
  virtual void Superseded() = 0;

 protected:
  ~DeliveryOutlet() = default;
};

class Delivery {
 public:
  explicit Delivery(DeliveryOutlet& outlet) : out_(outlet) {}
  Delivery(const Delivery&) = delete;
  Delivery& operator=(const Delivery&) = delete;

  // Starts over from the pending list: at session start, and after Redis came
  // back (it may have lost recent acks); entries already in flight are kept.
  void Restart();
  // Session start: the first page of the pending list was claimed by the
  // session start script (services/session_start.h); delivery goes on from it.
  void StartWith(services::EventStore::Claimed claimed);
  // The client's stream has news (a keyspace notification, or polling).
  void OnNews();
  // Acknowledges `event_id` if it is in flight here; false otherwise.
  [[nodiscard]] bool Ack(const std::string& event_id);
  // Resends or dead-letters what is due at `now_ms`.
  void OnTimer(uint64_t now_ms);
  // The earliest resend deadline (UINT64_MAX when nothing is in flight).
  uint64_t NextDueMs() const;
  size_t InflightCount() const { return inflight_.size(); }

 private:
  // An event sent and not yet acknowledged.
  struct Inflight {
    services::StreamEntry entry;
    uint32_t attempt = 1;
    uint64_t due_ms = 0;  // resend (or dead-letter) when no ack by then
  };

  void Pump();  // reads more if the window has room
  void ClaimMore();
  void ReadNew();
  void OnClaimed(bool ok, std::vector<services::StreamEntry> entries, std::string next_cursor);
  void OnRead(bool ok, std::vector<services::StreamEntry> entries, size_t room);
  void Take(std::vector<services::StreamEntry> entries);
  bool Send(size_t index);
  void DeadLetter(size_t index, std::string_view reason);
  uint64_t BackoffMs(uint32_t attempt);
  bool IsInflight(const std::string& event_id) const;

  // Where the next XAUTOCLAIM starts: a stream id "ms-seq" kept as two
  // numbers (16 bytes; the text would cost 32 in every session).
  struct Cursor {
    uint64_t ms = 0;
    uint64_t seq = 0;
    std::string Text() const { return std::to_string(ms) + "-" + std::to_string(seq); }
    // False for "0-0" (the pending list is done) and for anything unparsable.
    bool Parse(std::string_view text);
  };

  DeliveryOutlet& out_;
  std::vector<Inflight> inflight_;  // in stream order, at most inflight_window
  Cursor claim_cursor_;
  bool pending_exhausted_ = false;  // the pending list was fully claimed
  bool reading_ = false;            // one Redis read at a time per session
  bool read_again_ = false;         // news arrived while reading
  bool has_new_ = true;             // the stream may hold undelivered entries
  // A read or claim Redis refused with the link up (a slot in migration
  // past the link's retries): try again at this time (0: none due).
  uint64_t retry_read_at_ms_ = 0;
  void RetryReadLater();
};

}  // namespace sp::connections
