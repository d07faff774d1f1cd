// Admission: handshake slots, the waiting line, per-source connect rates.
#include "connections/admission.h"

#include <doctest/doctest.h>

using sp::connections::Admission;
using sp::connections::Bounds;

namespace {

Bounds SmallBounds() {
  Bounds b;
  b.max_connections = 100;
  b.max_handshakes = 2;
  b.connect_rate_per_ip = 3;
  return b;
}

}  // namespace

TEST_CASE("at most max_handshakes run; the rest wait and start in arrival order") {
  Bounds bounds = SmallBounds();
  Admission a(bounds);
  CHECK(a.TryTakeSlot());
  CHECK(a.TryTakeSlot());
  CHECK_FALSE(a.TryTakeSlot());
  a.Wait(10);
  a.Wait(11);
  a.Wait(12);
  CHECK(a.Waiting() == 3);
  CHECK_FALSE(a.NextWaiting(false).has_value());  // no slot free yet
  a.ReleaseSlot();
  auto next = a.NextWaiting(false);
  REQUIRE(next.has_value());
  CHECK(*next == 10);
  CHECK(a.TryTakeSlot());
  CHECK_FALSE(a.NextWaiting(false).has_value());
  // At shutdown every waiting connection comes out, slots or not.
  CHECK(a.NextWaiting(true) == 11);
  CHECK(a.NextWaiting(true) == 12);
  CHECK_FALSE(a.NextWaiting(true).has_value());
}

TEST_CASE("releasing more slots than were taken cannot underflow") {
  Bounds bounds = SmallBounds();
  Admission a(bounds);
  a.ReleaseSlot();
  CHECK(a.InProgress() == 0);
  CHECK(a.TryTakeSlot());
  CHECK(a.InProgress() == 1);
}

TEST_CASE("each source gets its own connect rate; one busy source does not block another") {
  Bounds bounds = SmallBounds();
  Admission a(bounds);
  std::string busy("\x0a\x00\x00\x01", 4);
  std::string quiet("\x0a\x00\x00\x02", 4);
  for (int i = 0; i < 6; ++i) CHECK(a.Refusal(busy, 0, 1000).empty());  // burst: 2 x 3/s
  CHECK(a.Refusal(busy, 0, 1000) == "too many connections from this address");
  CHECK(a.Refusal(quiet, 0, 1000).empty());
  CHECK(a.Refusal(busy, 0, 1334).empty());  // a third of a second refills one
}

TEST_CASE("the connection cap refuses regardless of source") {
  Bounds bounds = SmallBounds();
  Admission a(bounds);
  CHECK(a.Refusal("x", 99, 0).empty());
  CHECK(a.Refusal("y", 100, 0) == "too many connections");
}

TEST_CASE("a connect rate of 0 is unlimited, and pruning forgets refilled sources") {
  Bounds bounds = SmallBounds();
  bounds.connect_rate_per_ip = 0;
  Admission unlimited(bounds);
  for (int i = 0; i < 1000; ++i) REQUIRE(unlimited.Refusal("s", 0, 0).empty());

  Bounds limited_bounds = SmallBounds();
  Admission limited(limited_bounds);
  for (int i = 0; i < 6; ++i) REQUIRE(limited.Refusal("s", 0, 0).empty());
  CHECK_FALSE(limited.Refusal("s", 0, 0).empty());
  limited.Prune(300);  // not yet full again (6 tokens take 2 s): kept, still refusing
  CHECK_FALSE(limited.Refusal("s", 0, 300).empty());
  limited.Prune(10'000);  // full: forgotten, and a new bucket starts full
  for (int i = 0; i < 6; ++i) CHECK(limited.Refusal("s", 0, 10'000).empty());
}
