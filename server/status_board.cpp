#include "server/status_board.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "shared/messages.h"

namespace sp::server {

StatusBoard::StatusBoard(connections::Hub& hub, services::Services& services, std::string node,
                         StatusSettings settings)
    : hub_(hub),
      services_(services),
      node_(std::move(node)),
      settings_(settings),
      started_ms_(proto::NowMs()) {}

std::string StatusBoard::NotReadyReason() const {
  if (hub_.Draining()) return "draining";
  if (!services_.commands.IsUp()) return "redis down";
  if (!services_.subscriber.IsUp()) return "redis subscriber down";
  return {};
}

std::string StatusBoard::Json() {
  int64_t now = proto::NowMs();
  if (!surveying_ && now - top_at_ms_ >= static_cast<int64_t>(settings_.refresh_ms)) SurveyQueues();
  const connections::Stats& st = hub_.GetStats();
  std::string reason = NotReadyReason();
  nlohmann::json queues = nlohmann::json::array();
  for (const services::QueueDepth& q : top_)
    queues.push_back({{"client", q.client}, {"queued", q.queued}, {"dead", q.dead}});
  nlohmann::json doc = {
      {"node", node_},
      {"time_ms", now},
      {"uptime_s", (now - started_ms_) / 1000},
      {"ready", reason.empty()},
      {"not_ready_reason", reason},
      {"redis",
       {{"up", services_.commands.IsUp()},
        {"subscriber_up", services_.subscriber.IsUp()},
        {"notifications", services_.notifier.NotificationsEnabled()},
        {"commands_sent", services_.commands.CommandsSent()},
        {"queued_acks", services_.events.QueuedAcks()}}},
      {"connections", hub_.ConnectionCount()},
      {"sessions", hub_.SessionCount()},
      {"handshakes_waiting", hub_.HandshakesWaiting()},
      {"inflight", hub_.InflightTotal()},
      {"counters",
       {{"accepted", st.accepted},
        {"rejected", st.rejected},
        {"handshakes", st.sessions_started + st.handshake_failures},
        {"handshake_failures", st.handshake_failures},
        {"sessions_started", st.sessions_started},
        {"delivered", st.events_sent},
        {"retried", st.events_resent},
        {"acked", st.events_acked},
        {"dead", st.events_dead},
        {"client_events", st.client_events},
        {"protocol_errors", st.protocol_errors}}},
      {"top_queues", std::move(queues)},
      {"top_queues_at_ms", top_at_ms_},
      {"top_queues_sampled", top_sampled_},
  };
  return doc.dump();
}

// Deepest first; clients with nothing waiting and nothing dead are left out.
void StatusBoard::SurveyQueues() {
  surveying_ = true;
  std::vector<std::string> clients = hub_.SessionClients(settings_.sample_clients);
  size_t sampled = clients.size();
  services_.queue_depths.Read(
      std::move(clients), [this, sampled](std::vector<services::QueueDepth> depths) {
        std::erase_if(depths, [](const auto& d) { return d.queued == 0 && d.dead == 0; });
        size_t keep = std::min(settings_.top, depths.size());
        std::partial_sort(depths.begin(), depths.begin() + static_cast<ptrdiff_t>(keep),
                          depths.end(), [](const auto& a, const auto& b) {
                            return a.queued != b.queued ? a.queued > b.queued : a.dead > b.dead;
                          });
        depths.resize(keep);
        top_ = std::move(depths);
        top_at_ms_ = proto::NowMs();
        top_sampled_ = sampled;
        surveying_ = false;
      });
}

}  // namespace sp::server
