#include "services/presence.h"

#include "shared/messages.h"

namespace sp::services {
namespace {

// Deletes the presence hash only when it still belongs to the ending session,
// so a late close on one node never erases a newer session on another.
constexpr std::string_view kEndScript =
    "if redis.call('HGET', KEYS[1], 'session') == ARGV[1] then "
    "return redis.call('DEL', KEYS[1]) end return 0";

}  // namespace

Presence::Presence(RedisLink& commands, RedisLink& subscriber, const Keys& keys,
                   std::string node, uint64_t node_ttl_ms)
    : commands_(commands),
      subscriber_(subscriber),
      keys_(keys),
      node_(std::move(node)),
      node_ttl_ms_(node_ttl_ms) {}

void Presence::Listen(KickHandler on_session) {
  subscriber_.Subscribe(keys_.ControlChannel(), [on_session](std::string_view message) {
    // "session <client> <node> <session>"
    constexpr std::string_view kVerb = "session ";
    if (message.substr(0, kVerb.size()) != kVerb) return;
    message.remove_prefix(kVerb.size());
    size_t a = message.find(' ');
    if (a == std::string_view::npos) return;
    size_t b = message.find(' ', a + 1);
    if (b == std::string_view::npos) return;
    on_session(message.substr(0, a), message.substr(a + 1, b - a - 1), message.substr(b + 1));
  });
}

void Presence::SessionStarted(const std::string& client, const std::string& session) {
  std::string since = std::to_string(proto::NowMs());
  commands_.Command(
      {"HSET", keys_.Presence(client), "node", node_, "session", session, "since", since});
  commands_.Command(
      {"PUBLISH", keys_.ControlChannel(), "session " + client + " " + node_ + " " + session});
}

void Presence::SessionEnded(const std::string& client, const std::string& session) {
  commands_.Command({"EVAL", kEndScript, "1", keys_.Presence(client), session});
}

void Presence::Beat(const NodeInfo& info) {
  std::string key = keys_.Node(node_);
  std::string ttl = std::to_string(node_ttl_ms_);
  std::string now = std::to_string(proto::NowMs());
  std::string started = std::to_string(info.started_ms);
  std::string conns = std::to_string(info.connections);
  std::string sessions = std::to_string(info.sessions);
  commands_.Command({"HSET", key, "listen", info.listen, "started", started, "beat", now,
                     "connections", conns, "sessions", sessions});
  commands_.Command({"PEXPIRE", key, ttl});
  commands_.Command({"SADD", keys_.Nodes(), node_});
}

void Presence::NodeStopping() {
  commands_.Command({"DEL", keys_.Node(node_)});
  commands_.Command({"SREM", keys_.Nodes(), node_});
}

}  // namespace sp::services
