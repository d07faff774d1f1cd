#include "services/presence.h"

#include <charconv>
#include <cstddef>

#include "services/redis_reply.h"
#include "shared/log.h"
#include "shared/messages.h"

namespace sp::services {
namespace {

// KEYS: sp:{ID}:presence, sp:{ID}:groups. Deletes the presence hash only when
// it still belongs to the ending session, so a late close on one node never
// erases a newer session on another. Returns false when the session was no
// longer the current one (nothing changed), else the client's groups.
constexpr std::string_view kEndScript =
    "if redis.call('HGET', KEYS[1], 'session') ~= ARGV[1] then return false end "
    "redis.call('DEL', KEYS[1]) "
    "return redis.call('SMEMBERS', KEYS[2])";

// KEYS: sp:{ID}:presence. Deletes it only while it names the dead node
// ARGV[1]: a client that reconnected elsewhere keeps its new presence.
constexpr std::string_view kOrphanScript =
    "if redis.call('HGET', KEYS[1], 'node') == ARGV[1] then "
    "return redis.call('DEL', KEYS[1]) end return 0";

// A node's client list outlives its registry entry by this many TTLs, so
// the survivors find whose presence to clean after the node died.
constexpr uint64_t kClientListTtls = 3;

template <class T>
bool ParseNumber(std::string_view text, T* out) {
  return std::from_chars(text.data(), text.data() + text.size(), *out).ec == std::errc();
}

}  // namespace

Presence::Presence(RedisLink& commands, RedisLink& subscriber, const Keys& keys, std::string node,
                   uint64_t node_ttl_ms)
    : commands_(commands),
      subscriber_(subscriber),
      keys_(keys),
      node_(std::move(node)),
      node_ttl_ms_(node_ttl_ms),
      end_script_(kEndScript),
      orphan_script_(kOrphanScript) {}

void Presence::Listen(KickHandler on_session) {
  subscriber_.Subscribe(keys_.ControlChannel(), [on_session](std::string_view message) {
    // "session <client> <node> <session> <since_ms> <epoch>"
    std::string_view parts[6];
    size_t n = 0;
    while (n < 6 && !message.empty()) {
      size_t space = message.find(' ');
      parts[n++] = message.substr(0, space);
      message = space == std::string_view::npos ? std::string_view() : message.substr(space + 1);
    }
    if (n != 6 || parts[0] != "session") return;
    SessionAnnouncement a{parts[1], parts[2], parts[3], 0, 0};
    if (!ParseNumber(parts[4], &a.since_ms) || !ParseNumber(parts[5], &a.epoch)) return;
    on_session(a);
  });
}

void Presence::NodeHolds(const std::string& client, int64_t since_ms) {
  holds_.push_back(client);
  holds_.push_back(std::to_string(since_ms));
}

void Presence::Flush() {
  if (holds_.empty() || !commands_.IsUp()) return;  // kept until Redis is back
  std::string key = keys_.NodeClients(node_);       // Argv holds views: keep them alive
  RedisLink::Argv hset = {"HSET", key};
  hset.insert(hset.end(), holds_.begin(), holds_.end());
  commands_.Command(hset);
  // Created here when it was empty: it must not outlive a node that dies now
  // by more than the survivors need to clean up after it.
  commands_.Command({"PEXPIRE", key, std::to_string(node_ttl_ms_ * kClientListTtls)});
  holds_.clear();
}

void Presence::SessionEnded(const std::string& client, const std::string& session,
                            std::function<void(const std::vector<std::string>& groups)> on_left) {
  // A start still batched must not land after this end's HDEL.
  for (size_t i = 0; i < holds_.size();) {
    auto at = holds_.begin() + static_cast<std::ptrdiff_t>(i);
    if (*at == client)
      holds_.erase(at, at + 2);
    else
      i += 2;
  }
  std::string presence_key = keys_.Presence(client);  // Argv holds views: keep them alive
  std::string groups_key = keys_.ClientGroups(client);
  end_script_.Run(commands_, {"2", presence_key, groups_key, session},
                  [on_left](const redisReply* r) {
                    if (LogIfError(r, "redis.session_end_failed") || r == nullptr ||
                        r->type != REDIS_REPLY_ARRAY || !on_left)
                      return;
                    std::vector<std::string> groups;
                    for (size_t i = 0; i < r->elements; ++i)
                      groups.emplace_back(ReplyText(r->element[i]));
                    on_left(groups);
                  });
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
  // If this node dies, its client list outlives the entry a little: the
  // others clean its clients' presence (SweepDeadNodes), then it expires.
  commands_.Command(
      {"PEXPIRE", keys_.NodeClients(node_), std::to_string(node_ttl_ms_ * kClientListTtls)});
  commands_.Command({"SADD", keys_.Nodes(), node_});
  SweepDeadNodes();
}

// A node in sp:nodes whose entry expired died without NodeStopping(): its
// clients' presence still names it. Any survivor may clean up (the same
// work twice changes nothing); their pending events wait in their streams
// for their next session, wherever it starts.
void Presence::SweepDeadNodes() {
  commands_.Command({"SMEMBERS", keys_.Nodes()}, [this](const redisReply* members) {
    if (members == nullptr || members->type != REDIS_REPLY_ARRAY) return;
    for (size_t i = 0; i < members->elements; ++i) {
      std::string node(ReplyText(members->element[i]));
      if (node == node_) continue;
      commands_.Command({"EXISTS", keys_.Node(node)}, [this, node](const redisReply* exists) {
        if (exists == nullptr || exists->type != REDIS_REPLY_INTEGER || exists->integer != 0)
          return;
        commands_.Command({"HKEYS", keys_.NodeClients(node)}, [this,
                                                               node](const redisReply* clients) {
          if (clients == nullptr || clients->type != REDIS_REPLY_ARRAY) return;
          for (size_t c = 0; c < clients->elements; ++c) {
            std::string presence_key = keys_.Presence(ReplyText(clients->element[c]));
            orphan_script_.Run(commands_, {"1", presence_key, node}, {});
          }
          commands_.Command({"DEL", keys_.NodeClients(node)});
          commands_.Command({"SREM", keys_.Nodes(), node});
          log::Info("node.dead", {{"node", node},
                                  {"clients_cleaned", static_cast<uint64_t>(clients->elements)}});
        });
      });
    }
  });
}

void Presence::NodeStopping() {
  holds_.clear();  // the list goes as a whole
  // Two commands: in a cluster the two keys live in different slots.
  commands_.Command({"DEL", keys_.Node(node_)});
  commands_.Command({"DEL", keys_.NodeClients(node_)});
  commands_.Command({"SREM", keys_.Nodes(), node_});
}

}  // namespace sp::services
