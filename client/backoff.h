// Reconnect delays: exponential growth with full jitter, so thousands of
// clients that lost the same server do not come back in lockstep.
#pragma once

#include <cstdint>

#include "shared/random.h"

namespace sealpost::internal {

// The jitter generator every part of sealpost uses (shared/random.h).
using Rng = sp::Rng;

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
