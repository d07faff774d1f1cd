#include "client/backoff.h"

#include <sodium.h>

#include <algorithm>

namespace sealpost::internal {

Rng::Rng() {
  randombytes_buf(&state_, sizeof state_);
}

uint64_t Rng::Next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t Rng::Between(uint64_t lo, uint64_t hi) {
  if (hi <= lo) return lo;
  uint64_t span = hi - lo + 1;
  // The modulo bias is below 2^-40 for any delay span we use: irrelevant here.
  return lo + (span == 0 ? Next() : Next() % span);
}

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
