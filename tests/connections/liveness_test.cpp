// The deadlines of one connection, from accept to a long-lived session.
#include "connections/liveness.h"

#include <doctest/doctest.h>

using sp::connections::Liveness;
using sp::connections::Timings;
using Verdict = Liveness::Verdict;

namespace {

Timings Short() {
  Timings t;
  t.handshake_ms = 100;
  t.idle_ms = 1000;
  t.heartbeat_interval_ms = 200;
  t.heartbeat_timeout_ms = 500;
  return t;
}

}  // namespace

TEST_CASE("the handshake deadline counts from its start, not from accept") {
  Timings t = Short();
  Liveness l(0);
  l.HandshakeStarted(50);  // waited 50 ms for a slot
  CHECK(l.Check(149, t) == Verdict::Fine);
  CHECK(l.NextDueMs(t) == 150);
  CHECK(l.Check(150, t) == Verdict::HandshakeTimeout);
  CHECK(Liveness::Describe(Verdict::HandshakeTimeout) == "handshake not completed in time");
}

TEST_CASE("a session pings every interval and closes when pongs stop") {
  Timings t = Short();
  Liveness l(0);
  l.SessionStarted(10, t);
  CHECK(l.Check(5000, t) != Verdict::HandshakeTimeout);  // the handshake deadline is over
  CHECK(l.NextDueMs(t) == 210);
  CHECK(l.Check(209, t) == Verdict::Fine);
  CHECK(l.Check(210, t) == Verdict::PingDue);
  l.PingSent(210, t);
  l.Received(250);
  l.PongReceived(250);
  CHECK(l.NextDueMs(t) == 410);
  l.PingSent(410, t);
  l.Received(420);
  // No pong after the one at 250: closed 500 ms later, though frames arrive.
  CHECK(l.Check(749, t) == Verdict::PingDue);  // pings go on while a pong is late
  CHECK(l.Check(750, t) == Verdict::PongTimeout);
}

TEST_CASE("silence closes: idle timeout before and after the handshake") {
  Timings t = Short();
  t.handshake_ms = 10'000;
  Liveness before(0);
  CHECK(before.Check(999, t) == Verdict::Fine);
  CHECK(before.Check(1000, t) == Verdict::IdleTimeout);

  t.heartbeat_timeout_ms = 10'000;
  t.heartbeat_interval_ms = 10'000;
  Liveness after(0);
  after.SessionStarted(0, t);
  after.Received(400);
  CHECK(after.Check(1399, t) == Verdict::Fine);
  CHECK(after.Check(1400, t) == Verdict::IdleTimeout);
  CHECK(after.NextDueMs(t) == 1400);
}
