#include "shared/random.h"

#include <sys/random.h>

#include <chrono>

namespace sp {

Rng::Rng() {
  if (getrandom(&state_, sizeof state_, 0) != static_cast<ssize_t>(sizeof state_)) {
    // Only without a kernel entropy source: spread still matters, secrecy never did.
    state_ = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  }
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

Rng& ThreadRng() {
  static thread_local Rng rng;
  return rng;
}

}  // namespace sp
