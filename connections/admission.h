// Who may start a handshake, and when. A handshake costs three X25519
// operations, so at most max_handshakes run at once; further connections
// wait unread, in arrival order, and their handshake deadline starts only
// when their turn comes: in a reconnect storm the started handshakes finish
// instead of all timing out together. They wait here rather than in the
// kernel's accept queue, which is short (somaxconn) and drops SYNs once full.
// Each source address (an IPv4 address or an IPv6 /64) gets a connect rate.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "connections/settings.h"
#include "shared/token_bucket.h"

namespace sp::connections {

class Admission {
 public:
  explicit Admission(const Bounds& bounds) : bounds_(bounds) {}

  // Why a new connection from `source` must be refused now ("" to admit it).
  // `open` is the number of connections already open.
  std::string_view Refusal(const std::string& source, size_t open, uint64_t now_ms);

  // Takes a handshake slot if one is free.
  [[nodiscard]] bool TryTakeSlot();
  void ReleaseSlot();
  // Queues a connection (by id) for the next free slot.
  void Wait(uint64_t conn_id) { waiting_.push_back(conn_id); }
  // The next waiting connection when a slot is free (all of them with
  // `everyone`, to refuse them at shutdown). The caller takes the slot.
  std::optional<uint64_t> NextWaiting(bool everyone);

  // Forgets sources whose buckets have refilled completely: they carry no
  // information, and the table stays as small as the set of recent sources.
  void Prune(uint64_t now_ms);

  size_t Waiting() const { return waiting_.size(); }
  size_t InProgress() const { return in_progress_; }

 private:
  const Bounds& bounds_;
  size_t in_progress_ = 0;
  std::deque<uint64_t> waiting_;  // accepted, not started: arrival order
  std::unordered_map<std::string, TokenBucket> per_source_;
};

}  // namespace sp::connections
