#include "services/notifier.h"

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

void Notifier::EnsureEnabled() {
  commands_.Command({"CONFIG", "GET", "notify-keyspace-events"}, [this](const redisReply* r) {
    if (IsError(r) || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
      if (enabled_ || r) {
        log::Warn("redis.notifications_unavailable",
                  {{"error", r ? ReplyText(r) : "link lost"}, {"fallback", "polling"}});
      }
      enabled_ = false;
      return;
    }
    std::string current(ReplyText(r->element[1]));
    std::string wanted = WithNeededEvents(current);
    if (wanted == current) {
      enabled_ = true;
      return;
    }
    commands_.Command(
        {"CONFIG", "SET", "notify-keyspace-events", wanted}, [this, wanted](const redisReply* set) {
          enabled_ = !IsError(set);
          if (enabled_) {
            log::Info("redis.notifications_enabled", {{"flags", wanted}});
            // XADDs before this moment published nothing: read everything once.
            if (on_ready_) on_ready_();
          } else {
            log::Warn("redis.notifications_refused",
                      {{"error", set ? ReplyText(set) : "link lost"}, {"fallback", "polling"}});
          }
        });
  });
}

}  // namespace sp::services
