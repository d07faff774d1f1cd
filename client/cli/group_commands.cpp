// group add|remove|list|members|presence: the groups that client-events
// with "to": "group:<name>" fan out to (docs/PROTOCOL.md §6). A group is the
// set sp:group:<name>; each member's sp:{ID}:groups lists its groups (the
// server reads it for presence notices) and sp:groups indexes the names.
// Every write here keeps the three in step.
#include <algorithm>
#include <memory>

#include "client/cli/commands.h"
#include "client/cli/common.h"
#include "client/redis_sync.h"
#include "services/keys.h"
#include "shared/client_id.h"

namespace sealpost::cli {
namespace {

using tools::Reply;
using tools::Text;

struct GroupFlags {
  CommonFlags common;
  std::string group;
  std::vector<std::string> ids;
  std::string presence;  // on | off
  size_t max_members = 10000;
};

int Connect(const GroupFlags& f, tools::RedisSync* redis) {
  std::string error;
  if (!sp::proto::IsValidClientId(f.group))
    return Fail("invalid group name '" + f.group + "' (1-64 of A-Z a-z 0-9 _ . -)");
  for (const std::string& id : f.ids) {
    if (!sp::proto::IsValidClientId(id))
      return Fail("invalid client id '" + id + "' (1-64 of A-Z a-z 0-9 _ . -)");
  }
  if (!redis->Connect(f.common.redis, f.common.redis_password_file, &error)) return Fail(error);
  return 0;
}

int64_t Integer(const Reply& r) {
  return r && r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
}

// Runs the queued commands; the first failure is the answer.
int Drain(tools::RedisSync& redis, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    Reply r = redis.Next();
    if (!r) return Fail("Redis: " + redis.Error());
    if (tools::IsError(r.get())) return Fail("Redis: " + std::string(Text(r.get())));
  }
  return 0;
}

int Add(const GroupFlags& f) {
  tools::RedisSync redis;
  if (int rc = Connect(f, &redis)) return rc;
  sp::services::Keys keys(f.common.key_prefix);
  std::string group_key = keys.Group(f.group);
  // Unknown ids would only collect copies nobody reads: refuse them.
  for (const std::string& id : f.ids) redis.Append({"EXISTS", keys.Client(id)});
  redis.Append({"SCARD", group_key});
  std::vector<std::string> missing;
  for (const std::string& id : f.ids) {
    Reply r = redis.Next();
    if (!r) return Fail("Redis: " + redis.Error());
    if (Integer(r) != 1) missing.push_back(id);
  }
  Reply size = redis.Next();
  if (!size) return Fail("Redis: " + redis.Error());
  if (!missing.empty()) {
    std::string list;
    for (const std::string& id : missing) list += (list.empty() ? "" : ", ") + id;
    return Fail("not provisioned: " + list);
  }
  if (static_cast<size_t>(Integer(size)) + f.ids.size() > f.max_members)
    return Fail("group '" + f.group + "' would have more than " + std::to_string(f.max_members) +
                " members (the server refuses messages to larger groups: --max-group-members)");
  std::vector<std::string> sadd = {"SADD", group_key};
  sadd.insert(sadd.end(), f.ids.begin(), f.ids.end());
  redis.Append(sadd);
  for (const std::string& id : f.ids) redis.Append({"SADD", keys.ClientGroups(id), f.group});
  redis.Append({"SADD", keys.Groups(), f.group});
  if (int rc = Drain(redis, f.ids.size() + 2)) return rc;
  Reply total = redis.Command({"SCARD", group_key});
  PrintLine(Dump({{"group", f.group}, {"members", Integer(total)}}));
  return 0;
}

int Remove(const GroupFlags& f) {
  tools::RedisSync redis;
  if (int rc = Connect(f, &redis)) return rc;
  sp::services::Keys keys(f.common.key_prefix);
  std::vector<std::string> srem = {"SREM", keys.Group(f.group)};
  srem.insert(srem.end(), f.ids.begin(), f.ids.end());
  redis.Append(srem);
  for (const std::string& id : f.ids) redis.Append({"SREM", keys.ClientGroups(id), f.group});
  if (int rc = Drain(redis, f.ids.size() + 1)) return rc;
  int64_t left = Integer(redis.Command({"SCARD", keys.Group(f.group)}));
  if (left == 0) redis.Command({"SREM", keys.Groups(), f.group});
  PrintLine(Dump({{"group", f.group}, {"members", left}}));
  return 0;
}

int List(const GroupFlags& f) {
  tools::RedisSync redis;
  std::string error;
  if (!redis.Connect(f.common.redis, f.common.redis_password_file, &error)) return Fail(error);
  sp::services::Keys keys(f.common.key_prefix);
  Reply names = redis.Command({"SMEMBERS", keys.Groups()});
  if (tools::IsError(names.get())) return Fail("Redis: " + redis.Error());
  std::vector<std::string> groups;
  for (size_t i = 0; i < names->elements; ++i) groups.emplace_back(Text(names->element[i]));
  std::sort(groups.begin(), groups.end());
  for (const std::string& g : groups) {
    redis.Append({"SCARD", keys.Group(g)});
    redis.Append({"HGET", keys.GroupOptions(g), "presence"});
  }
  for (const std::string& g : groups) {
    Reply members = redis.Next();
    Reply presence = redis.Next();
    if (!members || !presence) return Fail("Redis: " + redis.Error());
    PrintLine(Dump(
        {{"group", g}, {"members", Integer(members)}, {"presence", Text(presence.get()) == "on"}}));
  }
  return 0;
}

int Members(const GroupFlags& f) {
  tools::RedisSync redis;
  if (int rc = Connect(f, &redis)) return rc;
  sp::services::Keys keys(f.common.key_prefix);
  Reply names = redis.Command({"SMEMBERS", keys.Group(f.group)});
  if (tools::IsError(names.get())) return Fail("Redis: " + redis.Error());
  std::vector<std::string> ids;
  for (size_t i = 0; i < names->elements; ++i) ids.emplace_back(Text(names->element[i]));
  std::sort(ids.begin(), ids.end());
  for (const std::string& id : ids) redis.Append({"EXISTS", keys.Presence(id)});
  for (const std::string& id : ids) {
    Reply online = redis.Next();
    if (!online) return Fail("Redis: " + redis.Error());
    PrintLine(Dump({{"id", id}, {"online", Integer(online) == 1}}));
  }
  return 0;
}

int Presence(const GroupFlags& f) {
  tools::RedisSync redis;
  if (int rc = Connect(f, &redis)) return rc;
  sp::services::Keys keys(f.common.key_prefix);
  Reply r = redis.Command({"HSET", keys.GroupOptions(f.group), "presence", f.presence});
  if (tools::IsError(r.get())) return Fail("Redis: " + redis.Error());
  PrintLine(Dump({{"group", f.group}, {"presence", f.presence == "on"}}));
  return 0;
}

}  // namespace

void AddGroupCommands(CLI::App& app, Commands* out) {
  CLI::App* group =
      app.add_subcommand("group", "Groups of clients that client-events to \"group:<name>\" reach");
  group->require_subcommand(1);
  auto add_sub = [&](const char* name, const char* help, int (*run)(const GroupFlags&),
                     bool takes_group, bool takes_ids) {
    auto f = std::make_shared<GroupFlags>();
    CLI::App* sub = group->add_subcommand(name, help);
    AddCommonFlags(sub, &f->common, kRedisFlags);
    if (takes_group) sub->add_option("group", f->group, "Group name")->required();
    if (takes_ids) sub->add_option("ids", f->ids, "Client ids")->required();
    out->emplace_back(sub, [f, run] { return run(*f); });
    return std::pair{sub, f};
  };
  auto [add, add_flags] =
      add_sub("add", "Add clients to a group (created on first use)", Add, true, true);
  add->add_option("--max-members", add_flags->max_members,
                  "Refuse to grow the group beyond this (match the server's --max-group-members)")
      ->envname("SEALPOST_MAX_GROUP_MEMBERS")
      ->capture_default_str();
  add_sub("remove", "Remove clients from a group", Remove, true, true);
  add_sub("list", "Every group: members and whether presence notices are on (JSON lines)", List,
          false, false);
  add_sub("members", "A group's members and whether each is online (JSON lines)", Members, true,
          false);
  auto [presence, presence_flags] =
      add_sub("presence", "Turn the group's join/leave notices on or off", Presence, true, false);
  presence->add_option("state", presence_flags->presence, "on or off")
      ->required()
      ->check(CLI::IsMember({"on", "off"}));
}

}  // namespace sealpost::cli
