// The token bucket behind the per-client message rate and the per-source
// connect rate: a burst of twice the rate passes, a sustained excess does not.
#include "shared/token_bucket.h"

#include <doctest/doctest.h>

using sp::TokenBucket;

TEST_CASE("a full bucket lets a burst of twice the rate through, then refuses") {
  TokenBucket b;
  b.Fill(10, 1000);
  int taken = 0;
  while (b.Take(10, 1000)) ++taken;
  CHECK(taken == 20);
  CHECK_FALSE(b.Take(10, 1000));
}

TEST_CASE("tokens come back at the rate, never beyond the burst") {
  TokenBucket b;
  b.Fill(10, 0);
  while (b.Take(10, 0)) {
  }
  CHECK_FALSE(b.Take(10, 99));  // 0.99 tokens after 99 ms at 10/s
  CHECK(b.Take(10, 100));       // one token after 100 ms
  CHECK_FALSE(b.Take(10, 100));
  // An hour later the bucket holds the burst, not 36,000 tokens.
  int taken = 0;
  while (b.Take(10, 3'600'100)) ++taken;
  CHECK(taken == 20);
}

TEST_CASE("a sustained rate at the limit passes, above it, the excess is refused") {
  TokenBucket at_limit;
  TokenBucket above;
  at_limit.Fill(100, 0);
  above.Fill(100, 0);
  int refused_at_limit = 0;
  int refused_above = 0;
  // Ten seconds: one message every 10 ms (100/s) and one every 5 ms (200/s).
  for (uint64_t t = 0; t < 10'000; t += 5) {
    if (t % 10 == 0 && !at_limit.Take(100, t)) ++refused_at_limit;
    if (!above.Take(100, t)) ++refused_above;
  }
  CHECK(refused_at_limit == 0);
  // 2,000 attempts against 1,000 refilled plus a burst of 200.
  CHECK(refused_above == doctest::Approx(800).epsilon(0.02));
}

TEST_CASE("rate 0 means unlimited, and an unlimited bucket counts as full") {
  TokenBucket b;
  for (int i = 0; i < 100000; ++i) REQUIRE(b.Take(0, 0));
  CHECK(b.Full(0, 0));
}

TEST_CASE("Full tells when a bucket has refilled and carries no information") {
  TokenBucket b;
  b.Fill(5, 0);
  CHECK(b.Full(5, 0));
  REQUIRE(b.Take(5, 0));
  CHECK_FALSE(b.Full(5, 0));
  CHECK_FALSE(b.Full(5, 199));
  CHECK(b.Full(5, 200));
}

TEST_CASE("a clock that goes backwards neither adds tokens nor wraps around") {
  TokenBucket b;
  b.Fill(1, 10'000);
  REQUIRE(b.Take(1, 10'000));
  REQUIRE(b.Take(1, 10'000));
  CHECK_FALSE(b.Take(1, 5'000));
  CHECK_FALSE(b.Take(1, 10'000));
  CHECK(b.Take(1, 11'000));
}
