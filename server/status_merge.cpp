#include "server/status_merge.h"

#include <algorithm>

namespace sp::server {
namespace {

using nlohmann::json;

// Adds the numbers of `part` into `total`, key by key, recursively.
void SumNumbers(json* total, const json& part) {
  for (auto it = part.begin(); it != part.end(); ++it) {
    if (it->is_number_unsigned() || it->is_number_integer()) {
      json& t = (*total)[it.key()];
      t = (t.is_number() ? t.get<int64_t>() : 0) + it->get<int64_t>();
    } else if (it->is_object()) {
      SumNumbers(&(*total)[it.key()], *it);
    }
  }
}

bool Flag(const json& doc, const char* a, const char* b = nullptr) {
  const json* v = doc.contains(a) ? &doc[a] : nullptr;
  if (v && b) v = v->contains(b) ? &(*v)[b] : nullptr;
  return v && v->is_boolean() && v->get<bool>();
}

}  // namespace

json MergeStatus(const NodeStatus& node, const std::vector<WorkerStatus>& workers) {
  json sums = json::object();
  json queues = json::array();
  json rows = json::array();
  bool any_ready = false, redis_up = true, subscriber_up = true, notifications = true;
  int64_t queues_at = 0;
  std::string first_reason;
  for (const WorkerStatus& w : workers) {
    json row = {{"index", w.index}, {"pid", w.pid}, {"answered", w.doc.is_object()}};
    if (!w.doc.is_object()) {
      redis_up = subscriber_up = notifications = false;
      if (first_reason.empty()) first_reason = w.pid ? "worker not answering" : "worker down";
      rows.push_back(std::move(row));
      continue;
    }
    const json& d = w.doc;
    json numbers = {
        {"connections", d.value("connections", int64_t{0})},
        {"sessions", d.value("sessions", int64_t{0})},
        {"handshakes_waiting", d.value("handshakes_waiting", int64_t{0})},
        {"inflight", d.value("inflight", int64_t{0})},
        {"top_queues_sampled", d.value("top_queues_sampled", int64_t{0})},
        {"counters", d.value("counters", json::object())},
        {"redis",
         {{"commands_sent",
           d.contains("redis") ? d["redis"].value("commands_sent", int64_t{0}) : 0},
          {"queued_acks", d.contains("redis") ? d["redis"].value("queued_acks", int64_t{0}) : 0}}}};
    SumNumbers(&sums, numbers);
    bool ready = Flag(d, "ready");
    any_ready = any_ready || ready;
    if (!ready && first_reason.empty()) first_reason = d.value("not_ready_reason", "");
    redis_up = redis_up && Flag(d, "redis", "up");
    subscriber_up = subscriber_up && Flag(d, "redis", "subscriber_up");
    notifications = notifications && Flag(d, "redis", "notifications");
    if (d.contains("top_queues") && d["top_queues"].is_array())
      for (const json& q : d["top_queues"]) queues.push_back(q);
    int64_t at = d.value("top_queues_at_ms", int64_t{0});
    if (at > 0 && (queues_at == 0 || at < queues_at)) queues_at = at;
    row["node"] = d.value("node", "");
    row["ready"] = ready;
    row["connections"] = d.value("connections", int64_t{0});
    row["sessions"] = d.value("sessions", int64_t{0});
    rows.push_back(std::move(row));
  }
  std::vector<json> deepest(queues.begin(), queues.end());
  std::stable_sort(deepest.begin(), deepest.end(), [](const json& a, const json& b) {
    int64_t qa = a.value("queued", int64_t{0}), qb = b.value("queued", int64_t{0});
    return qa != qb ? qa > qb : a.value("dead", int64_t{0}) > b.value("dead", int64_t{0});
  });
  if (deepest.size() > node.top) deepest.resize(node.top);
  queues = json(std::move(deepest));
  bool ready = any_ready && !node.draining;
  std::string reason = ready                  ? ""
                       : node.draining        ? "draining"
                       : first_reason.empty() ? "no worker running"
                                              : first_reason;
  json redis = sums.value("redis", json::object());
  redis["up"] = redis_up && !workers.empty();
  redis["subscriber_up"] = subscriber_up && !workers.empty();
  redis["notifications"] = notifications && !workers.empty();
  return {
      {"node", node.node},
      {"time_ms", node.now_ms},
      {"uptime_s", (node.now_ms - node.started_ms) / 1000},
      {"ready", ready},
      {"not_ready_reason", reason},
      {"redis", redis},
      {"connections", sums.value("connections", int64_t{0})},
      {"sessions", sums.value("sessions", int64_t{0})},
      {"handshakes_waiting", sums.value("handshakes_waiting", int64_t{0})},
      {"inflight", sums.value("inflight", int64_t{0})},
      {"counters", sums.value("counters", json::object())},
      {"top_queues", std::move(queues)},
      {"top_queues_at_ms", queues_at},
      {"top_queues_sampled", sums.value("top_queues_sampled", int64_t{0})},
      {"workers", std::move(rows)},
  };
}

}  // namespace sp::server
