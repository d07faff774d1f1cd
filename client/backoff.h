// Reconnect delays: exponential growth with full jitter, so thousands of
// clients that lost the same server do not come back in lockstep.
#pragma once

#include <cstdint>

namespace sealpost::internal {

// Small, fast generator (splitmix64); seeded from libsodium by default.
class Rng {
 public:
  Rng();
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next();
  // Uniform in [lo, hi] (inclusive); lo when hi <= lo.
  uint64_t Between(uint64_t lo, uint64_t hi);

 private:
  uint64_t state_;
};

class Backoff {
 public:
  Backoff(uint64_t min_ms, uint64_t max_ms, Rng rng = Rng());

  // The next delay: uniform in [min, Ceiling()], then the ceiling doubles.
  uint64_t Next();
  // Upper bound of the next delay: min(max, min * 2^failures).
  uint64_t Ceiling() const;
  void Reset() { failures_ = 0; }
  uint32_t Failures() const { return failures_; }

 private:
  uint64_t min_ms_;
  uint64_t max_ms_;
  uint32_t failures_ = 0;
  Rng rng_;
};

}  // namespace sealpost::internal
