// A session start in one round trip: one script checks the client's record
// and, only if it admits the client, takes the session's epoch, records
// presence, announces the session, reads the client's groups and claims the
// first page of its pending events (docs/DESIGN.md "Session start").
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "services/event_store.h"
#include "services/keys.h"
#include "services/lua_script.h"
#include "services/redis_link.h"
#include "services/registry.h"

namespace sp::services {

// What Redis said when a session started.
struct SessionStart {
  uint64_t epoch = 0;                  // from INCR sp:{ID}:epoch: orders sessions across nodes
  int64_t since_ms = 0;                // the start time recorded in presence
  bool replaced_live_session = false;  // another session of the client was present
  std::vector<std::string> groups;     // sp:{ID}:groups
};

struct SessionStartRequest {
  std::string client;
  std::string remote_pk;  // base64 static key the client proved in the handshake
  std::string session;    // the session's id as announced
  int64_t since_ms = 0;
  size_t claim_count = 0;  // the first page of the pending list: the inflight window
};

struct SessionStartReply {
  // The record as Registry::Lookup reads it (Unavailable when Redis could not
  // answer): the caller judges it with the same rules as before.
  ClientRecord record;
  // The script found the key and the enabled flag in order and started the
  // session; false: nothing was written.
  bool started = false;
  SessionStart start;         // when started
  bool claimed = false;       // when started: the first claim page is below
  EventStore::Claimed claim;  // entries with their delivery counts (this claim included)
};

class SessionStarter {
 public:
  using Callback = std::function<void(SessionStartReply reply)>;

  SessionStarter(RedisLink& link, const Keys& keys, std::string node);

  // Calls `cb` once: with Redis's answer, or at once when the link is down.
  void Start(const SessionStartRequest& request, Callback cb);

 private:
  RedisLink& link_;
  const Keys& keys_;
  std::string node_;
  LuaScript script_;
};

// The reply of the session start script as a SessionStartReply (tested alone).
SessionStartReply ParseSessionStartReply(const redisReply* r);

}  // namespace sp::services
