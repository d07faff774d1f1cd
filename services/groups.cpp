#include "services/groups.h"

#include <algorithm>
#include <memory>

#include "services/redis_reply.h"

namespace sp::services {
namespace {

std::vector<std::string> Strings(const redisReply* r) {
  std::vector<std::string> out;
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY) return out;
  out.reserve(r->elements);
  for (size_t i = 0; i < r->elements; ++i) out.emplace_back(ReplyText(r->element[i]));
  return out;
}

bool IsArray(const redisReply* r) {
  return r != nullptr && r->type == REDIS_REPLY_ARRAY;
}

}  // namespace

void Groups::Send(Message message, DoneCallback cb) {
  std::string key = keys_.Group(message.group);
  auto shared = std::make_shared<Message>(std::move(message));
  bool sent = link_.Command({"SMEMBERS", key}, [this, shared, cb](const redisReply* r) {
    if (LogIfError(r, "redis.group_failed") || !IsArray(r)) {
      cb(Result::Failed, {});
      return;
    }
    if (r->elements == 0) {
      cb(Result::UnknownTarget, {});
      return;
    }
    if (r->elements > max_members_) {
      cb(Result::TooLarge, {});
      return;
    }
    std::vector<std::string> members = Strings(r);
    if (shared->sender_must_be_member) {
      bool member = false;
      for (const std::string& m : members) member = member || m == shared->sender;
      if (!member) {
        cb(Result::Forbidden, {});
        return;
      }
    }
    FanOut(members, std::move(*shared), cb);
  });
  if (!sent) cb(Result::Failed, {});
}

void Groups::FanOut(const std::vector<std::string>& members, Message message, DoneCallback cb) {
  struct Tally {
    size_t outstanding = 0;
    bool failed = false;
    Copies copies;
    DoneCallback cb;
  };
  auto tally = std::make_shared<Tally>();
  tally->cb = std::move(cb);
  message.fields.emplace_back("from", message.sender);
  message.fields.emplace_back("to", std::string(proto::kGroupPrefix).append(message.group));
  std::string message_key = message.sender + " " + message.id;
  auto finish = [](Tally& t) {
    if (t.outstanding == 0) t.cb(t.failed ? Result::Failed : Result::Stored, t.copies);
  };
  tally->outstanding = 1;  // held until every copy is issued
  for (const std::string& member : members) {
    if (member == message.sender) continue;
    tally->outstanding++;
    bool sent =
        mailbox_.Put(member, message_key, message.fields, [tally, finish](Mailbox::Result result) {
          switch (result) {
            case Mailbox::Result::Stored:
              tally->copies.stored++;
              break;
            case Mailbox::Result::Duplicate:
              break;
            case Mailbox::Result::UnknownTarget:
            case Mailbox::Result::Full:
              tally->copies.refused++;
              break;
            case Mailbox::Result::Failed:
              tally->failed = true;
              break;
          }
          tally->outstanding--;
          finish(*tally);
        });
    if (!sent) {
      tally->failed = true;
      tally->outstanding--;
    }
  }
  tally->outstanding--;
  finish(*tally);
}

void Groups::IsMember(const std::string& group, const std::string& client,
                      std::function<void(std::optional<bool>)> cb) {
  bool sent = link_.Command({"SISMEMBER", keys_.Group(group), client}, [cb](const redisReply* r) {
    if (LogIfError(r, "redis.group_failed") || r == nullptr || r->type != REDIS_REPLY_INTEGER) {
      cb(std::nullopt);
      return;
    }
    cb(r->integer == 1);
  });
  if (!sent) cb(std::nullopt);
}

void Groups::Who(const std::string& group,
                 std::function<void(std::optional<std::vector<Member>>)> cb) {
  bool sent = link_.Command({"SMEMBERS", keys_.Group(group)}, [this, cb](const redisReply* r) {
    if (LogIfError(r, "redis.group_failed") || !IsArray(r)) {
      cb(std::nullopt);
      return;
    }
    struct Survey {
      std::vector<Member> members;
      size_t outstanding = 0;
      bool failed = false;
    };
    auto survey = std::make_shared<Survey>();
    for (std::string& id : Strings(r)) {
      if (survey->members.size() >= max_members_) break;
      survey->members.push_back({std::move(id), false});
    }
    std::sort(survey->members.begin(), survey->members.end(),
              [](const Member& a, const Member& b) { return a.id < b.id; });
    if (survey->members.empty()) {
      cb(std::vector<Member>{});
      return;
    }
    survey->outstanding = survey->members.size();
    for (size_t i = 0; i < survey->members.size(); ++i) {
      bool ok = link_.Command({"EXISTS", keys_.Presence(survey->members[i].id)},
                              [survey, i, cb](const redisReply* e) {
                                if (e == nullptr || e->type != REDIS_REPLY_INTEGER)
                                  survey->failed = true;
                                else
                                  survey->members[i].online = e->integer == 1;
                                if (--survey->outstanding == 0) {
                                  if (survey->failed)
                                    cb(std::nullopt);
                                  else
                                    cb(std::move(survey->members));
                                }
                              });
      if (!ok) {
        cb(std::nullopt);  // the link is down: no reply will come for the rest either
        return;
      }
    }
  });
  if (!sent) cb(std::nullopt);
}

void Groups::NotifyPresence(const std::string& client, std::string_view change,
                            const std::string& node, const std::vector<std::string>& groups) {
  std::string at = std::to_string(proto::NowMs());
  for (const std::string& group : groups) {
    proto::EventFields fields = {{"type", "presence"}, {"data", std::string(change)},
                                 {"client", client},   {"group", group},
                                 {"node", node},       {"at", at}};
    std::string members_key = keys_.Group(group);
    link_.Command({"HGET", keys_.GroupOptions(group), "presence"},
                  [this, client, fields = std::move(fields), members_key](const redisReply* r) {
                    if (r == nullptr || ReplyText(r) != "on") return;
                    link_.Command(
                        {"SMEMBERS", members_key}, [this, client, fields](const redisReply* m) {
                          if (LogIfError(m, "redis.presence_notice_failed") || !IsArray(m)) return;
                          if (m->elements > max_members_) return;
                          for (const std::string& member : Strings(m)) {
                            if (member != client)
                              mailbox_.Put(member, {}, fields, [](Mailbox::Result) {});
                          }
                        });
                  });
  }
}

}  // namespace sp::services
