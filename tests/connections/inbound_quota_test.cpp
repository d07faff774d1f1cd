// A client's inbound quota per second: events and bytes, defaults and the
// overrides of its record.
#include "connections/inbound_quota.h"

#include <doctest/doctest.h>

using sp::connections::Bounds;
using sp::connections::EventBytes;
using sp::connections::InboundQuota;
using Verdict = InboundQuota::Verdict;

TEST_CASE("the server's defaults: a burst of twice the rate, then refusals until it refills") {
  Bounds b;
  b.inbound_events_per_s = 5;
  b.inbound_bytes_per_s = 0;
  InboundQuota q(b, {}, 0);
  for (int i = 0; i < 10; ++i) REQUIRE(q.Take(10, 0) == Verdict::Ok);
  CHECK(q.Take(10, 0) == Verdict::OverEvents);
  CHECK(q.Take(10, 200) == Verdict::Ok);  // 5/s: one more after 200 ms
}

TEST_CASE("bytes per second, a refused event gives its event token back") {
  Bounds b;
  b.inbound_events_per_s = 100;
  b.inbound_bytes_per_s = 1000;
  InboundQuota q(b, {}, 0);
  CHECK(q.Take(1500, 0) == Verdict::Ok);
  CHECK(q.Take(600, 0) == Verdict::OverBytes);        // 500 bytes left of the 2,000 burst
  CHECK(q.Take(2001, 10'000) == Verdict::OverBytes);  // larger than any burst: never fits
  for (int i = 0; i < 199; ++i) REQUIRE(q.Take(0, 10'000) == Verdict::Ok);  // events untouched
}

TEST_CASE("a record's overrides win, 0 there means no limit, -1 keeps the default") {
  Bounds b;
  b.inbound_events_per_s = 1;
  b.inbound_bytes_per_s = 1;
  b.inbound_events_per_day = 7;
  sp::services::QuotaOverrides o;
  o.events_per_s = 0;
  o.bytes_per_s = 0;
  o.bytes_per_day = 123;
  InboundQuota q(b, o, 0);
  for (int i = 0; i < 1000; ++i) REQUIRE(q.Take(100, 0) == Verdict::Ok);
  CHECK(q.EventsPerDay() == 7);
  CHECK(q.BytesPerDay() == 123);
}

TEST_CASE("the bytes of an event are its names and values") {
  CHECK(EventBytes({{"type", "t"}, {"data", "12345"}}) == 4 + 1 + 4 + 5);
  CHECK(EventBytes({}) == 0);
}
