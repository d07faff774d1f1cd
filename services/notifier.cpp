#include "services/notifier.h"

#include <memory>

#include "services/redis_reply.h"
#include "shared/log.h"

namespace sp::services {
namespace {

// Keeps whatever the operator configured and adds what we need: E (keyevent
// channel) with t (stream commands) for new events, K (keyspace channel) with
// h (hash commands), g (DEL, RENAME, ...), x (expired) and e (evicted) for
// changed client records; A (all classes) already covers t, h, g, x and e.
std::string WithNeededEvents(std::string flags) {
  bool all = flags.find('A') != std::string::npos;
  for (char c : {'E', 'K', 't', 'h', 'g', 'x', 'e'}) {
    bool covered = all && c != 'E' && c != 'K';
    if (!covered && flags.find(c) == std::string::npos) flags += c;
  }
  return flags;
}

}  // namespace

void Notifier::Start(NewEventsHandler on_new_events, std::function<void()> on_ready) {
  on_ready_ = std::move(on_ready);
  std::string channel = "__keyevent@" + std::to_string(db_) + "__:xadd";
  subscriber_.Subscribe(
      channel,
      [this, on_new_events](std::string_view key) {
        std::string client;
        if (keys_.ParseEventsKey(key, &client)) on_new_events(client);
      },
      [this] {
        if (on_ready_) on_ready_();
      });
  EnsureEnabled();
}

// On every primary: notifications are per server, and so is CONFIG.
void Notifier::EnsureEnabled() {
  struct Round {
    size_t pending = 0;
    bool all_enabled = true;
    bool switched_on = false;
  };
  auto round = std::make_shared<Round>();
  commands_.ForEachPrimary([&round](RedisLink&) { ++round->pending; });
  auto done = [this, round](bool enabled, bool switched_on) {
    round->all_enabled = round->all_enabled && enabled;
    round->switched_on = round->switched_on || switched_on;
    if (--round->pending > 0) return;
    enabled_ = round->all_enabled;
    // XADDs before this moment published nothing: read everything once.
    if (enabled_ && round->switched_on && on_ready_) on_ready_();
  };
  commands_.ForEachPrimary([this, done](RedisLink& server) { EnableOn(server, done); });
}

void Notifier::EnableOn(RedisLink& server, std::function<void(bool, bool)> done) {
  bool sent = server.Command({"CONFIG", "GET", "notify-keyspace-events"}, [this, &server, done](
                                                                              const redisReply* r) {
    if (IsError(r) || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
      if (enabled_ || r) {
        log::Warn("redis.notifications_unavailable",
                  {{"error", r ? ReplyText(r) : "link lost"}, {"fallback", "polling"}});
      }
      done(false, false);
      return;
    }
    std::string current(ReplyText(r->element[1]));
    std::string wanted = WithNeededEvents(current);
    if (wanted == current) {
      done(true, false);
      return;
    }
    // `server` is alive here: this callback is its own.
    bool set_sent = server.Command(
        {"CONFIG", "SET", "notify-keyspace-events", wanted}, [wanted, done](const redisReply* set) {
          bool ok = !IsError(set);
          if (ok) {
            log::Info("redis.notifications_enabled", {{"flags", wanted}});
          } else {
            log::Warn("redis.notifications_refused",
                      {{"error", set ? ReplyText(set) : "link lost"}, {"fallback", "polling"}});
          }
          done(ok, ok);
        });
    if (!set_sent) done(false, false);
  });
  if (!sent) done(false, false);
}

}  // namespace sp::services
