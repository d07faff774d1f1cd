// A client's events stream as a mailbox that other clients and the server
// put events into: only for a provisioned client, at most once per (sender,
// message id) within a window, and never beyond a cap of queued events.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "services/keys.h"
#include "services/lua_script.h"
#include "services/redis_link.h"
#include "shared/messages.h"

namespace sp::services {

class Mailbox {
 public:
  enum class Result : uint8_t {
    Stored,
    Duplicate,      // this message was put here before (a resend): not stored again
    UnknownTarget,  // no client record: nobody would ever read it
    Full,           // the stream already holds max_queued undelivered events
    Failed,         // Redis did not answer; the sender may retry
  };
  using DoneCallback = std::function<void(Result result)>;

  struct Config {
    uint64_t dedupe_window_ms = 600000;  // 0: no dedupe
    uint32_t dedupe_max_ids = 1000;      // remembered per mailbox
    uint64_t max_queued = 100000;        // 0: no cap
  };

  Mailbox(RedisLink& link, const Keys& keys, Config config);

  // Adds `fields` to sp:{target}:events in one script in the target's slot.
  // `message_key` names the message among everything put in this mailbox
  // ("<sender> <id>"); empty: not deduplicated. False when the link is down
  // (cb not called).
  bool Put(const std::string& target, std::string_view message_key,
           const proto::EventFields& fields, DoneCallback cb);

  // The put script, for tools that replay the server's Redis work (bench/).
  static std::string_view PutScriptText();

 private:
  RedisLink& link_;
  const Keys& keys_;
  Config config_;
  LuaScript put_script_;
};

}  // namespace sp::services
