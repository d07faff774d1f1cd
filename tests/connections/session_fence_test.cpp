// The rule that decides which of two sessions of one client survives: the
// higher epoch from Redis, whatever order the announcements arrive in.
#include "connections/session_fence.h"

#include <doctest/doctest.h>

using sp::connections::SessionFence;

TEST_CASE("a session ends when a session with a higher epoch is announced, not a lower one") {
  SessionFence fence;
  CHECK_FALSE(fence.OnOwnEpoch(7));
  CHECK_FALSE(fence.OnAnnounced(6));  // older, even if its node's clock says later
  CHECK_FALSE(fence.OnAnnounced(7));  // our own announcement
  CHECK(fence.OnAnnounced(8));
}

TEST_CASE("an announcement that overtakes the session's own epoch is judged when it arrives") {
  SUBCASE("the announced session is newer") {
    SessionFence fence;
    CHECK_FALSE(fence.OnAnnounced(12));
    CHECK_FALSE(fence.Known());
    CHECK(fence.OnOwnEpoch(11));
  }
  SUBCASE("the announced session is older") {
    SessionFence fence;
    CHECK_FALSE(fence.OnAnnounced(3));
    CHECK_FALSE(fence.OnAnnounced(10));
    CHECK_FALSE(fence.OnOwnEpoch(11));
    CHECK(fence.Epoch() == 11);
  }
}

TEST_CASE("a session that got no epoch from Redis yields to any announced session") {
  SessionFence fence;
  CHECK_FALSE(fence.OnOwnEpoch(0));
  CHECK(fence.OnAnnounced(1));
}

TEST_CASE("two sessions of one client: exactly the one with the higher epoch survives") {
  // Every arrival order of the two announcements at the two nodes.
  for (bool a_knows_first : {true, false}) {
    for (bool b_knows_first : {true, false}) {
      CAPTURE(a_knows_first);
      CAPTURE(b_knows_first);
      SessionFence a;  // epoch 4
      SessionFence b;  // epoch 5
      bool a_ends = a_knows_first ? (a.OnOwnEpoch(4) || a.OnAnnounced(5))
                                  : (a.OnAnnounced(5) || a.OnOwnEpoch(4));
      bool b_ends = b_knows_first ? (b.OnOwnEpoch(5) || b.OnAnnounced(4))
                                  : (b.OnAnnounced(4) || b.OnOwnEpoch(5));
      CHECK(a_ends);
      CHECK_FALSE(b_ends);
    }
  }
}
