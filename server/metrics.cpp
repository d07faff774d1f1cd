#include "server/metrics.h"

namespace sp::server {
namespace {

void Metric(std::string* out, const char* name, const char* type, const char* help,
            uint64_t value) {
  out->append("# HELP ").append(name).append(" ").append(help).append("\n");
  out->append("# TYPE ").append(name).append(" ").append(type).append("\n");
  out->append(name).append(" ").append(std::to_string(value)).append("\n");
}

}  // namespace

std::string RenderMetrics(connections::Hub& hub, services::Services& services) {
  const connections::Stats& st = hub.GetStats();
  std::string out;
  out.reserve(4096);
  Metric(&out, "sealpost_connections", "gauge", "Open client connections", hub.ConnectionCount());
  Metric(&out, "sealpost_sessions", "gauge", "Authenticated sessions", hub.SessionCount());
  Metric(&out, "sealpost_handshakes_waiting", "gauge",
         "Accepted connections waiting for a handshake slot (--max-handshakes)",
         hub.HandshakesWaiting());
  Metric(&out, "sealpost_inflight_events", "gauge", "Events sent and not yet acked",
         hub.InflightTotal());
  Metric(&out, "sealpost_connections_accepted_total", "counter", "Accepted connections",
         st.accepted);
  Metric(&out, "sealpost_connections_rejected_total", "counter", "Connections refused by limits",
         st.rejected);
  Metric(&out, "sealpost_handshake_failures_total", "counter", "Failed handshakes",
         st.handshake_failures);
  Metric(&out, "sealpost_sessions_started_total", "counter", "Sessions started",
         st.sessions_started);
  Metric(&out, "sealpost_events_sent_total", "counter", "server-event messages sent",
         st.events_sent);
  Metric(&out, "sealpost_events_resent_total", "counter", "Resends after an ack timeout",
         st.events_resent);
  Metric(&out, "sealpost_events_acked_total", "counter", "Events acknowledged", st.events_acked);
  Metric(&out, "sealpost_events_dead_total", "counter", "Events dead-lettered", st.events_dead);
  Metric(&out, "sealpost_client_events_total", "counter", "client-event messages received",
         st.client_events);
  Metric(&out, "sealpost_client_events_duplicate_total", "counter",
         "client-events resent with an id already stored: acked, not stored again",
         st.client_events_duplicate);
  Metric(&out, "sealpost_direct_messages_total", "counter",
         "client-events to another client, stored in its stream", st.direct_messages);
  Metric(&out, "sealpost_group_messages_total", "counter",
         "client-events to a group, stored in every member's stream", st.group_messages);
  Metric(&out, "sealpost_group_copies_total", "counter", "Stream entries written for groups",
         st.group_copies);
  Metric(&out, "sealpost_group_copies_refused_total", "counter",
         "Group copies not written: member without a record or with a full stream",
         st.group_copies_refused);
  Metric(&out, "sealpost_messages_refused_total", "counter",
         "Direct and group messages refused (unknown target, forbidden, too large, full)",
         st.messages_refused);
  Metric(&out, "sealpost_requests_total", "counter", "request messages received", st.requests);
  Metric(&out, "sealpost_protocol_errors_total", "counter", "Connections closed for an error",
         st.protocol_errors);
  Metric(&out, "sealpost_redis_up", "gauge", "1 when the Redis command link is up",
         services.commands.IsUp() ? 1 : 0);
  Metric(&out, "sealpost_redis_commands_total", "counter", "Commands sent to Redis",
         services.commands.CommandsSent());
  services::RedisLinkStats link = services.commands.Stats();
  Metric(&out, "sealpost_redis_moved_total", "counter",
         "MOVED redirects followed (Redis Cluster: a slot changed owner)", link.moved);
  Metric(&out, "sealpost_redis_ask_total", "counter",
         "ASK redirects followed (Redis Cluster: a slot in migration)", link.ask);
  Metric(&out, "sealpost_redis_retried_total", "counter",
         "Commands retried after TRYAGAIN or CLUSTERDOWN", link.retried);
  Metric(&out, "sealpost_redis_map_refreshes_total", "counter",
         "Redis Cluster slot maps loaded", link.map_refreshes);
  Metric(&out, "sealpost_redis_primary_changes_total", "counter",
         "Primaries changed under the link (cluster failover, sentinel switch)",
         link.failovers);
  Metric(&out, "sealpost_keyspace_notifications", "gauge",
         "1 when keyspace notifications drive delivery (0: polling)",
         services.notifier.NotificationsEnabled() ? 1 : 0);
  Metric(&out, "sealpost_queued_acks", "gauge", "Acks waiting for Redis",
         services.events.QueuedAcks());
  return out;
}

}  // namespace sp::server
