// Announcements that arrive while a session start is in Redis are kept for
// that start and judged once its epoch comes.
#include "connections/starting_sessions.h"

#include <doctest/doctest.h>

#include "connections/session.h"

namespace sp::connections {

TEST_CASE("an announcement before the start's reply fences the start if it is newer") {
  StartingSessions starting;
  starting.Add("c1", 0x11);
  starting.OnAnnounced("c1", Session::IdText(0x22), 8);  // another session, epoch 8
  SessionFence fence = starting.Take("c1", 0x11);
  CHECK(starting.Size() == 0);
  CHECK(fence.OnOwnEpoch(7));  // ours is older: it must end
}

TEST_CASE("a start ignores its own announcement, older ones and other clients'") {
  StartingSessions starting;
  starting.Add("c1", 0x11);
  starting.OnAnnounced("c1", Session::IdText(0x11), 9);  // its own
  starting.OnAnnounced("c2", Session::IdText(0x33), 9);  // another client
  starting.OnAnnounced("c1", Session::IdText(0x22), 3);  // older than ours
  SessionFence fence = starting.Take("c1", 0x11);
  CHECK_FALSE(fence.OnOwnEpoch(9));
  CHECK(fence.Epoch() == 9);
}

TEST_CASE("two starts of one client: each keeps the other's announcement") {
  StartingSessions starting;
  starting.Add("c1", 0x11);
  starting.Add("c1", 0x22);
  starting.OnAnnounced("c1", Session::IdText(0x11), 4);
  starting.OnAnnounced("c1", Session::IdText(0x22), 5);
  SessionFence first = starting.Take("c1", 0x11);
  CHECK(starting.Size() == 1);
  SessionFence second = starting.Take("c1", 0x22);
  CHECK(starting.Size() == 0);
  CHECK(first.OnOwnEpoch(4));         // 5 was announced: the first must end
  CHECK_FALSE(second.OnOwnEpoch(5));  // 4 is older
  // Nothing left: a late Take gives a fresh fence.
  CHECK_FALSE(starting.Take("c1", 0x11).OnOwnEpoch(1));
}

}  // namespace sp::connections
