#include "client/backoff.h"

#include <algorithm>

namespace sealpost::internal {

Backoff::Backoff(uint64_t min_ms, uint64_t max_ms, Rng rng)
    : min_ms_(std::max<uint64_t>(1, min_ms)), max_ms_(std::max(max_ms, min_ms)), rng_(rng) {}

uint64_t Backoff::Ceiling() const {
  uint64_t ceiling = min_ms_;
  for (uint32_t i = 0; i < failures_ && ceiling < max_ms_; ++i) ceiling *= 2;
  return std::min(ceiling, max_ms_);
}

uint64_t Backoff::Next() {
  uint64_t delay = rng_.Between(min_ms_, Ceiling());
  if (Ceiling() < max_ms_) ++failures_;
  return delay;
}

}  // namespace sealpost::internal
