// Who may connect, and when a handshake may start. A handshake costs three
// X25519 operations, so at most max_handshakes run at once. A connection
// takes a slot only when its first handshake message has arrived: an idle
// socket costs a descriptor and a deadline, never a slot. Connections whose
// message 1 finds no free slot wait (with the frame, unread beyond it) in
// arrival order, and those from sources that recently completed a session go
// first, so a flood from new addresses cannot starve known clients. Waiting
// has a deadline of its own (the connection's), and each source (an IPv4
// address, or the /64 of an IPv6 address) has a connect rate, a cap on open
// connections and a cap on waiting handshakes.
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
  struct Parked {
    uint64_t conn_id;
    uint64_t source;
    std::string first_frame;  // handshake message 1, to run when the slot comes
  };

  // A connection whose address could not be read (it is already gone).
  static constexpr uint64_t kUnknownSource = 0;

  explicit Admission(const Bounds& bounds) : bounds_(bounds) {}

  // Why a new connection from `source` must be refused now ("" to admit it;
  // then Opened must follow). `open` is the number of connections open.
  std::string_view Refusal(uint64_t source, size_t open, uint64_t now_ms);
  void Opened(uint64_t source);
  void Closed(uint64_t source);
  // A session from `source` was authenticated: it is an established source.
  void Established(uint64_t source, uint64_t now_ms);

  // Takes a handshake slot if one is free and nobody is waiting for it.
  [[nodiscard]] bool TryTakeSlot();
  // Takes a slot for the connection NextParked returned.
  void TakeSlot() { ++in_progress_; }
  void ReleaseSlot();
  // Parks a connection whose message 1 found no slot; false when its source
  // already has max_waiting_handshakes_per_ip waiting (refuse it).
  [[nodiscard]] bool Park(Parked parked);
  // The next parked connection when a slot is free (all of them with
  // `everyone`, to refuse them at shutdown), established sources first. The
  // caller takes the slot.
  std::optional<Parked> NextParked(bool everyone);

  // Forgets what carries no information any more: refilled buckets, sources
  // without connections, established sources not seen for a long time.
  void Prune(uint64_t now_ms);

  size_t Waiting() const { return from_established_.size() + from_new_.size(); }
  size_t InProgress() const { return in_progress_; }
  size_t TrackedSources() const { return per_source_.size(); }

 private:
  struct Source {
    TokenBucket connects;
    uint32_t open = 0;
    uint32_t waiting = 0;
  };

  bool IsEstablished(uint64_t source) const { return established_.count(source) != 0; }

  const Bounds& bounds_;
  size_t in_progress_ = 0;
  std::deque<Parked> from_established_;
  std::deque<Parked> from_new_;
  std::unordered_map<uint64_t, Source> per_source_;
  std::unordered_map<uint64_t, uint64_t> established_;  // source -> last session start (ms)
};

}  // namespace sp::connections
