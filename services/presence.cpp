#include "services/presence.h"

#include <charconv>

#include "shared/messages.h"

namespace sp::services {
namespace {

// Deletes the presence hash only when it still belongs to the ending session,
// so a late close on one node never erases a newer session on another.
constexpr std::string_view kEndScript =
    "if redis.call('HGET', KEYS[1], 'session') == ARGV[1] then "
    "return redis.call('DEL', KEYS[1]) end return 0";

}  // namespace

Presence::Presence(RedisLink& commands, RedisLink& subscriber, const Keys& keys, std::string node,
                   uint64_t node_ttl_ms)
    : commands_(commands),
      subscriber_(subscriber),
      keys_(keys),
      node_(std::move(node)),
      node_ttl_ms_(node_ttl_ms) {}

void Presence::Listen(KickHandler on_session) {
  subscriber_.Subscribe(keys_.ControlChannel(), [on_session](std::string_view message) {
    // "session <client> <node> <session> <since_ms>"
    std::string_view parts[5];
    size_t n = 0;
    while (n < 5 && !message.empty()) {
      size_t space = message.find(' ');
      parts[n++] = message.substr(0, space);
      message = space == std::string_view::npos ? std::string_view() : message.substr(space + 1);
    }
    if (n != 5 || parts[0] != "session") return;
    SessionAnnouncement a{parts[1], parts[2], parts[3], 0};
    if (std::from_chars(parts[4].data(), parts[4].data() + parts[4].size(), a.since_ms).ec !=
        std::errc()) {
      return;
    }
    on_session(a);
  });
}

void Presence::SessionStarted(const std::string& client, const std::string& session,
                              int64_t since_ms) {
  std::string since = std::to_string(since_ms);
  commands_.Command(
      {"HSET", keys_.Presence(client), "node", node_, "session", session, "since", since});
  commands_.Command({"HSET", keys_.NodeClients(node_), client, since});
  commands_.Command({"PEXPIRE", keys_.NodeClients(node_), std::to_string(node_ttl_ms_)});
  commands_.Command({"PUBLISH", keys_.ControlChannel(),
                     "session " + client + " " + node_ + " " + session + " " + since});
}

void Presence::SessionEnded(const std::string& client, const std::string& session) {
  commands_.Command({"EVAL", kEndScript, "1", keys_.Presence(client), session});
  commands_.Command({"HDEL", keys_.NodeClients(node_), client});
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
  // If this node dies, its client list expires with it: nothing stale remains.
  commands_.Command({"PEXPIRE", keys_.NodeClients(node_), ttl});
  commands_.Command({"SADD", keys_.Nodes(), node_});
}

void Presence::NodeStopping() {
  commands_.Command({"DEL", keys_.Node(node_), keys_.NodeClients(node_)});
  commands_.Command({"SREM", keys_.Nodes(), node_});
}

}  // namespace sp::services
