// State that exists only for an authenticated client: who it is, which
// session this is, and the delivery of its events.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include <memory>

#include "connections/delivery.h"
#include "connections/inbound_quota.h"
#include "connections/routing_policy.h"
#include "connections/session_fence.h"
#include "connections/settings.h"
#include "shared/messages.h"

namespace sp::connections {

struct Session {
  Session(std::string client, uint64_t key_tag, DeliveryOutlet& outlet)
      : client(std::move(client)), key_tag(key_tag), delivery(outlet) {}

  // The first message of the session: what the client needs to know of it.
  proto::Welcome Welcome(const Settings& settings) const {
    proto::Welcome welcome;
    welcome.client = client;
    welcome.node = settings.identity.node;
    welcome.session = SessionIdText();
    welcome.heartbeat_ms = static_cast<int64_t>(settings.timings.heartbeat_interval_ms);
    welcome.window = settings.bounds.inflight_window;
    welcome.max_frame_bytes = static_cast<int64_t>(settings.bounds.max_frame_bytes);
    welcome.ts = proto::NowMs();
    return welcome;
  }

  // The inbound quota: built at start when the client's record overrides the
  // defaults (or when the record changes), else at the first client-event, so
  // a session that only listens carries one null pointer.
  InboundQuota& Quota(const Bounds& defaults, uint64_t now_ms) {
    if (!quota)
      quota = std::make_unique<InboundQuota>(defaults, services::QuotaOverrides{}, now_ms);
    return *quota;
  }
  void SetQuota(const Bounds& defaults, const services::QuotaOverrides& overrides,
                uint64_t now_ms) {
    if (overrides.Any() || quota)
      quota = std::make_unique<InboundQuota>(defaults, overrides, now_ms);
  }

  // Whom the client may send to: its record's policy, or the server's
  // defaults while the record sets none (one null pointer per session).
  const RoutingPolicy& Policy(const RoutingPolicy& defaults) const {
    return policy ? *policy : defaults;
  }
  // False when the record's policy does not parse (it then denies: see ResolvePolicy).
  bool SetPolicy(const RoutingPolicy& defaults, std::string_view direct, std::string_view groups) {
    if (direct.empty() && groups.empty()) {
      policy.reset();
      return true;
    }
    bool valid = true;
    policy = std::make_unique<RoutingPolicy>(ResolvePolicy(defaults, direct, groups, &valid));
    return valid;
  }

  // 14 lowercase hex digits: how the session is named in welcome, presence
  // and announcements. Kept as a number: 24 bytes less per connection.
  std::string SessionIdText() const { return IdText(session_id); }
  static std::string IdText(uint64_t id) {
    char text[15];
    std::snprintf(text, sizeof text, "%014llx", static_cast<unsigned long long>(id));
    return text;
  }

  std::string client;
  uint64_t session_id = 0;  // 56 random bits
  SessionFence fence;       // its epoch: orders sessions of the client across nodes
  uint64_t key_tag;         // KeyTag of the static key the client proved
  std::unique_ptr<InboundQuota> quota;
  std::unique_ptr<RoutingPolicy> policy;
  Delivery delivery;
};

}  // namespace sp::connections
