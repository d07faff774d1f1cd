// The jitter generator: reproducible from a seed, inside its bounds, spread.
#include "shared/random.h"

#include <doctest/doctest.h>

#include <set>

TEST_CASE("Between stays inside [lo, hi] and reaches both ends") {
  sp::Rng rng(1);
  bool saw_lo = false;
  bool saw_hi = false;
  for (int i = 0; i < 10000; ++i) {
    uint64_t v = rng.Between(5, 9);
    REQUIRE(v >= 5);
    REQUIRE(v <= 9);
    saw_lo |= v == 5;
    saw_hi |= v == 9;
  }
  CHECK(saw_lo);
  CHECK(saw_hi);
  CHECK(rng.Between(7, 7) == 7);
  CHECK(rng.Between(9, 3) == 9);  // an empty range gives its low end
}

TEST_CASE("the same seed gives the same sequence, the default seeds differ") {
  sp::Rng a(42);
  sp::Rng b(42);
  for (int i = 0; i < 100; ++i) REQUIRE(a.Next() == b.Next());
  std::set<uint64_t> firsts;
  for (int i = 0; i < 16; ++i) firsts.insert(sp::Rng().Next());
  CHECK(firsts.size() == 16);
}
