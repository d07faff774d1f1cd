#include "connections/starting_sessions.h"

#include <algorithm>
#include <charconv>

namespace sp::connections {

void StartingSessions::Add(const std::string& client, uint64_t session_id) {
  starts_[client].push_back({session_id, SessionFence{}});
}

SessionFence StartingSessions::Take(const std::string& client, uint64_t session_id) {
  auto it = starts_.find(client);
  if (it == starts_.end()) return {};
  std::vector<Start>& list = it->second;
  auto start = std::find_if(list.begin(), list.end(),
                            [&](const Start& s) { return s.session_id == session_id; });
  if (start == list.end()) return {};
  SessionFence fence = start->fence;
  list.erase(start);
  if (list.empty()) starts_.erase(it);
  return fence;
}

void StartingSessions::OnAnnounced(std::string_view client, std::string_view session,
                                   uint64_t epoch) {
  if (starts_.empty()) return;
  auto it = starts_.find(std::string(client));
  if (it == starts_.end()) return;
  // Session ids are announced as hex (Session::SessionIdText).
  uint64_t announcing = 0;
  auto parsed = std::from_chars(session.data(), session.data() + session.size(), announcing, 16);
  bool known = parsed.ec == std::errc() && parsed.ptr == session.data() + session.size();
  for (Start& start : it->second) {
    if (known && start.session_id == announcing) continue;  // its own announcement
    // Its own epoch is not known yet: the fence only remembers the highest.
    (void)start.fence.OnAnnounced(epoch);
  }
}

}  // namespace sp::connections
