// A token bucket: `rate` tokens per second, holding at most twice that, so a
// burst of 2x the rate passes and a sustained excess does not. Tokens are
// kept in thousandths to stay integral; 16 bytes, no clock of its own (the
// caller passes loop time), so it costs an idle connection nothing to carry.
#pragma once

#include <algorithm>
#include <cstdint>

namespace sp {

class TokenBucket {
 public:
  // Starts full at `now_ms`.
  void Fill(uint32_t rate, uint64_t now_ms) {
    milli_ = Capacity(rate);
    at_ms_ = now_ms;
  }
  // Takes `n` tokens (one by default); false, taking none, when fewer are
  // left. A rate of 0 means unlimited.
  [[nodiscard]] bool Take(uint32_t rate, uint64_t now_ms, uint64_t n = 1) {
    if (rate == 0) return true;
    Refill(rate, now_ms);
    if (milli_ < n * 1000) return false;
    milli_ -= n * 1000;
    return true;
  }
  // True when the bucket would be full at `now_ms`: it then carries no
  // information and its owner may forget it.
  bool Full(uint32_t rate, uint64_t now_ms) const {
    return rate == 0 || milli_ + Elapsed(now_ms) * rate >= Capacity(rate);
  }

 private:
  static uint64_t Capacity(uint32_t rate) { return 2ull * rate * 1000; }
  uint64_t Elapsed(uint64_t now_ms) const { return now_ms > at_ms_ ? now_ms - at_ms_ : 0; }
  void Refill(uint32_t rate, uint64_t now_ms) {
    milli_ = std::min(Capacity(rate), milli_ + Elapsed(now_ms) * rate);
    at_ms_ = std::max(at_ms_, now_ms);
  }

  uint64_t milli_ = 0;
  uint64_t at_ms_ = 0;
};

}  // namespace sp
