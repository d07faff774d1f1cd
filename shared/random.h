// Fast, non-cryptographic random numbers for jitter (resend gaps, reconnect
// delays, goaway spreads). Jitter needs spread, not secrecy: a splitmix64
// seeded once from the kernel spares a getrandom() system call per use.
// Keys and nonces never come from here (crypto/ uses libsodium).
#pragma once

#include <cstdint>

namespace sp {

class Rng {
 public:
  Rng();  // seeded from getrandom(2)
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next();
  // Uniform in [lo, hi] (inclusive); lo when hi <= lo.
  uint64_t Between(uint64_t lo, uint64_t hi);

 private:
  uint64_t state_;
};

// One generator per thread, for code that has no natural owner of its own.
Rng& ThreadRng();

}  // namespace sp
