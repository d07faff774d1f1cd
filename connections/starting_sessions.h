// Sessions whose start script is in Redis and not answered yet. The script
// takes the epoch and publishes the session on the control channel; the
// reply comes on the command link and a newer session's announcement on the
// subscriber link, in either order. An announcement that arrives first finds
// no live session of the client to fence, so it is kept here and the
// session is judged against it once its own epoch comes (SessionFence).
// Entries live for one Redis round trip; no entry means nothing to keep.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "connections/session_fence.h"

namespace sp::connections {

class StartingSessions {
 public:
  void Add(const std::string& client, uint64_t session_id);
  // The fence of that start (what was announced meanwhile); forgets it.
  SessionFence Take(const std::string& client, uint64_t session_id);
  // Another session of `client` announced `epoch`: every start of that
  // client other than `session` (the announcing one) keeps it.
  void OnAnnounced(std::string_view client, std::string_view session, uint64_t epoch);
  size_t Size() const { return starts_.size(); }

 private:
  struct Start {
    uint64_t session_id;
    SessionFence fence;
  };
  std::unordered_map<std::string, std::vector<Start>> starts_;  // by client id
};

}  // namespace sp::connections
