// The Lua scripts sealpost-server runs, taken from services/ itself (not
// copies), so the floors replay exactly the server's Redis work.
#pragma once

#include <string>
#include <string_view>

#include "services/event_store.h"
#include "services/inbound.h"
#include "services/mailbox.h"
#include "services/usage.h"

namespace spb {

// services/event_store.cpp: the acks of many clients XACKed and XDELed in one
// call. KEYS: their streams; ARGV: the group, then per key its number of ids
// and the ids (at most EventStore::kAcksPerKey per key and kAcksPerCall per
// call). Returns how many keys refused.
inline std::string_view AckScript() {
  return sp::services::EventStore::AckScriptText();
}

// services/usage.cpp: per client and flush, the usage counters.
inline std::string_view UsageScript() {
  return sp::services::Usage::ScriptText();
}

// services/mailbox.cpp: one copy of a direct or group message. KEYS: client
// record, events stream, seen zset; ARGV: message key, dedupe window ms, max
// ids, max queued, then the fields. 1 stored, 2 duplicate, 0 unknown, 3 full.
inline std::string_view PutScript() {
  return sp::services::Mailbox::PutScriptText();
}

// The put script's ARGV 2-4 as Mailbox::Put builds them from the server's
// defaults: dedupe window and ids as server/config.cpp sets them for the
// mailbox (from Inbound::Config), the cap from Mailbox::Config.
inline const std::string kPutWindowMs =
    std::to_string(sp::services::Inbound::Config{}.dedupe_max_ids > 0
                       ? sp::services::Inbound::Config{}.dedupe_window_ms
                       : 0);
inline const std::string kPutMaxIds =
    std::to_string(sp::services::Inbound::Config{}.dedupe_max_ids);
inline const std::string kPutMaxQueued = std::to_string(sp::services::Mailbox::Config{}.max_queued);

}  // namespace spb
