#include <doctest/doctest.h>

#include <string>

#include "client/backoff.h"
#include "client/dedup.h"

using sealpost::internal::Backoff;
using sealpost::internal::DedupWindow;
using sealpost::internal::Rng;

TEST_CASE("dedup: a repeated event id is reported as duplicate") {
  DedupWindow window(8);
  CHECK(window.Insert("1700000000000-0"));
  CHECK(window.Insert("1700000000000-1"));
  CHECK_FALSE(window.Insert("1700000000000-0"));
  CHECK_FALSE(window.Insert("1700000000000-1"));
  CHECK(window.Size() == 2);
}

TEST_CASE("dedup: memory is bounded, the oldest ids are forgotten first") {
  DedupWindow window(4);
  for (int i = 0; i < 4; ++i) CHECK(window.Insert("1-" + std::to_string(i)));
  CHECK(window.Size() == 4);
  CHECK(window.Insert("1-4"));  // evicts 1-0
  CHECK(window.Size() == 4);
  CHECK_FALSE(window.Contains("1-0"));
  CHECK(window.Contains("1-1"));
  CHECK(window.Contains("1-4"));
  for (int i = 5; i < 1000; ++i) window.Insert("1-" + std::to_string(i));
  CHECK(window.Size() == 4);
  CHECK(window.Contains("1-999"));
  CHECK_FALSE(window.Contains("1-995"));
}

TEST_CASE("dedup: ids that are not stream ids still work, and differ from stream ids") {
  DedupWindow window(16);
  CHECK(window.Insert("abc"));
  CHECK_FALSE(window.Insert("abc"));
  CHECK(window.Insert("12-34"));
  CHECK(window.Insert("12-34-5"));
  CHECK(window.Insert("-1"));
  CHECK_FALSE(window.Insert("12-34"));
}

TEST_CASE("dedup: capacity 0 remembers nothing") {
  DedupWindow window(0);
  CHECK(window.Insert("1-1"));
  CHECK(window.Insert("1-1"));
  CHECK(window.Size() == 0);
}

TEST_CASE("backoff: the ceiling doubles from min up to max") {
  Backoff b(100, 1000, Rng(42));
  uint64_t expected[] = {100, 200, 400, 800, 1000, 1000, 1000};
  for (uint64_t ceiling : expected) {
    CHECK(b.Ceiling() == ceiling);
    b.Next();
  }
  b.Reset();
  CHECK(b.Ceiling() == 100);
}

TEST_CASE("backoff: full jitter stays within [min, ceiling] and spreads over it") {
  Backoff b(100, 3200, Rng(7));
  for (int i = 0; i < 6; ++i) b.Next();  // reach the cap
  REQUIRE(b.Ceiling() == 3200);
  uint64_t lo = UINT64_MAX;
  uint64_t hi = 0;
  double sum = 0;
  const int n = 10000;
  for (int i = 0; i < n; ++i) {
    uint64_t d = b.Next();
    REQUIRE(d >= 100);
    REQUIRE(d <= 3200);
    lo = std::min(lo, d);
    hi = std::max(hi, d);
    sum += static_cast<double>(d);
  }
  // Uniform over [100, 3200]: the extremes are reached and the mean is central.
  CHECK(lo < 150);
  CHECK(hi > 3150);
  CHECK(sum / n == doctest::Approx(1650).epsilon(0.05));
}

TEST_CASE("backoff: every delay of a growing sequence respects its own ceiling") {
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    Backoff b(50, 10000, Rng(seed));
    for (int i = 0; i < 12; ++i) {
      uint64_t ceiling = b.Ceiling();
      uint64_t d = b.Next();
      CHECK(d >= 50);
      CHECK(d <= ceiling);
    }
  }
}

TEST_CASE("backoff: two clients do not follow the same sequence") {
  Backoff a(100, 30000);
  Backoff b(100, 30000);
  int same = 0;
  for (int i = 0; i < 20; ++i) same += a.Next() == b.Next();
  CHECK(same < 5);
}
