// Admission: handshake slots, the waiting line, per-source limits.
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
  b.max_connections_per_ip = 4;
  b.max_waiting_handshakes_per_ip = 2;
  return b;
}

constexpr uint64_t kBusy = 0x0000ffff0a000001;
constexpr uint64_t kQuiet = 0x0000ffff0a000002;

Admission::Parked Parked(uint64_t id, uint64_t source) {
  return {id, source, "frame-" + std::to_string(id)};
}

}  // namespace

TEST_CASE("at most max_handshakes run, the rest wait with their frame, in arrival order") {
  Bounds bounds = SmallBounds();
  Admission a(bounds);
  CHECK(a.TryTakeSlot());
  CHECK(a.TryTakeSlot());
  CHECK_FALSE(a.TryTakeSlot());
  REQUIRE(a.Park(Parked(10, 1)));
  REQUIRE(a.Park(Parked(11, 2)));
  REQUIRE(a.Park(Parked(12, 3)));
  CHECK(a.Waiting() == 3);
  CHECK_FALSE(a.NextParked(false).has_value());  // no slot free yet
  a.ReleaseSlot();
  // A slot is free, but a newcomer may not jump the line.
  CHECK_FALSE(a.TryTakeSlot());
  auto next = a.NextParked(false);
  REQUIRE(next.has_value());
  CHECK(next->conn_id == 10);
  CHECK(next->first_frame == "frame-10");
  a.TakeSlot();
  CHECK_FALSE(a.NextParked(false).has_value());
  // At shutdown every waiting connection comes out, slots or not.
  CHECK(a.NextParked(true)->conn_id == 11);
  CHECK(a.NextParked(true)->conn_id == 12);
  CHECK_FALSE(a.NextParked(true).has_value());
}

TEST_CASE("established sources go first when handshakes must wait") {
  Bounds bounds = SmallBounds();
  bounds.max_handshakes = 0;  // everyone waits
  Admission a(bounds);
  a.Established(kQuiet, 0);
  REQUIRE(a.Park(Parked(1, kBusy)));
  REQUIRE(a.Park(Parked(2, kBusy)));
  REQUIRE(a.Park(Parked(3, kQuiet)));
  CHECK(a.NextParked(true)->conn_id == 3);
  CHECK(a.NextParked(true)->conn_id == 1);
}

TEST_CASE("one source may not fill the waiting line") {
  Bounds bounds = SmallBounds();
  bounds.max_handshakes = 0;
  Admission a(bounds);
  CHECK(a.Park(Parked(1, kBusy)));
  CHECK(a.Park(Parked(2, kBusy)));
  CHECK_FALSE(a.Park(Parked(3, kBusy)));  // max_waiting_handshakes_per_ip = 2
  CHECK(a.Park(Parked(4, kQuiet)));
  REQUIRE(a.NextParked(true)->conn_id == 1);
  CHECK(a.Park(Parked(5, kBusy)));  // its place freed
}

TEST_CASE("releasing more slots than were taken cannot underflow") {
  Bounds bounds = SmallBounds();
  Admission a(bounds);
  a.ReleaseSlot();
  CHECK(a.InProgress() == 0);
  CHECK(a.TryTakeSlot());
  CHECK(a.InProgress() == 1);
}

TEST_CASE("each source gets its own connect rate, one busy source does not block another") {
  Bounds bounds = SmallBounds();
  bounds.max_connections_per_ip = 0;
  Admission a(bounds);
  for (int i = 0; i < 6; ++i) CHECK(a.Refusal(kBusy, 0, 1000).empty());  // burst: 2 x 3/s
  CHECK(a.Refusal(kBusy, 0, 1000) == "too many connections from this address");
  CHECK(a.Refusal(kQuiet, 0, 1000).empty());
  CHECK(a.Refusal(kBusy, 0, 1334).empty());  // a third of a second refills one
}

TEST_CASE("open connections per source are capped, and closing makes room") {
  Bounds bounds = SmallBounds();
  bounds.connect_rate_per_ip = 0;
  Admission a(bounds);
  for (int i = 0; i < 4; ++i) {
    REQUIRE(a.Refusal(kBusy, 0, 0).empty());
    a.Opened(kBusy);
  }
  CHECK(a.Refusal(kBusy, 0, 0) == "too many open connections from this address");
  CHECK(a.Refusal(kQuiet, 0, 0).empty());
  a.Closed(kBusy);
  CHECK(a.Refusal(kBusy, 0, 0).empty());
}

TEST_CASE("the connection cap refuses regardless of source, unknown sources are not counted") {
  Bounds bounds = SmallBounds();
  Admission a(bounds);
  CHECK(a.Refusal(kBusy, 99, 0).empty());
  CHECK(a.Refusal(kQuiet, 100, 0) == "too many connections");
  for (int i = 0; i < 50; ++i) {
    REQUIRE(a.Refusal(Admission::kUnknownSource, 0, 0).empty());
    a.Opened(Admission::kUnknownSource);
  }
}

TEST_CASE("a connect rate of 0 is unlimited, and pruning forgets idle sources") {
  Bounds bounds = SmallBounds();
  bounds.connect_rate_per_ip = 0;
  bounds.max_connections_per_ip = 0;
  Admission unlimited(bounds);
  for (int i = 0; i < 1000; ++i) REQUIRE(unlimited.Refusal(kBusy, 0, 0).empty());

  Bounds limited_bounds = SmallBounds();
  Admission limited(limited_bounds);
  for (int i = 0; i < 4; ++i) REQUIRE(limited.Refusal(kBusy, 0, 0).empty());
  limited.Opened(kBusy);
  limited.Prune(10'000);  // one connection still open: kept
  CHECK(limited.TrackedSources() == 1);
  limited.Closed(kBusy);
  limited.Prune(10'000);  // nothing open, bucket full: forgotten
  CHECK(limited.TrackedSources() == 0);
}
