// Which of two sessions of one client is the newer, across nodes: each takes
// an epoch from INCR on sp:{ID}:epoch once its client is authenticated, and
// announces it; the higher epoch wins. Node clocks play no part, so a node
// whose clock runs ahead cannot keep an older session alive.
#pragma once

#include <algorithm>
#include <cstdint>

namespace sp::connections {

class SessionFence {
 public:
  // Another session of this client announced `theirs`: true when this one
  // must end. Until this session's own epoch is known, the highest announced
  // epoch is kept and judged when it arrives.
  [[nodiscard]] bool OnAnnounced(uint64_t theirs) {
    theirs = std::min(theirs, kMaxEpoch);
    if (Known()) return theirs > state_;
    state_ = kPending | std::max(state_ & kMaxEpoch, theirs);
    return false;
  }

  // This session's epoch arrived (0: Redis did not give one, and any announced
  // session counts as newer). True when an announcement already outranks it.
  [[nodiscard]] bool OnOwnEpoch(uint64_t epoch) {
    uint64_t highest_seen = Known() ? 0 : state_ & kMaxEpoch;
    state_ = std::min(epoch, kMaxEpoch);
    return highest_seen > state_;
  }

  bool Known() const { return (state_ & kPending) == 0; }
  uint64_t Epoch() const { return Known() ? state_ : 0; }

 private:
  // One word per session: the top bit says the own epoch is still pending, and
  // the rest holds the highest epoch announced meanwhile; once known, the epoch.
  static constexpr uint64_t kPending = uint64_t{1} << 63;
  static constexpr uint64_t kMaxEpoch = kPending - 1;
  uint64_t state_ = kPending;
};

}  // namespace sp::connections
