// One client's inbound quota: how many client-events, and how many bytes of
// their fields, it may store per second (token buckets here, in the node
// that holds its one session) and per UTC day (counted in Redis, so the
// count survives reconnects to other nodes). The server's defaults apply
// unless the client's record (sp:{ID}:client) overrides them.
#pragma once

#include <cstdint>

#include "connections/settings.h"
#include "services/registry.h"
#include "shared/messages.h"
#include "shared/token_bucket.h"

namespace sp::connections {

class InboundQuota {
 public:
  InboundQuota(const Bounds& defaults, const services::QuotaOverrides& overrides, uint64_t now_ms);

  enum class Verdict : uint8_t { Ok, OverEvents, OverBytes };
  // Takes one event of `bytes` from the per-second allowance.
  [[nodiscard]] Verdict Take(uint64_t bytes, uint64_t now_ms);

  uint64_t EventsPerDay() const { return events_per_day_; }
  uint64_t BytesPerDay() const { return bytes_per_day_; }

 private:
  uint32_t events_per_s_;
  uint32_t bytes_per_s_;
  uint64_t events_per_day_;
  uint64_t bytes_per_day_;
  TokenBucket events_;
  TokenBucket bytes_;
};

// The bytes of an event that count toward the quota: names and values.
uint64_t EventBytes(const proto::EventFields& fields);

}  // namespace sp::connections
