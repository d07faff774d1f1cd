// provision, push, dead, replay, status: direct Redis operations on the key
// layout of services/keys.h, one blocking connection per run.
#include <algorithm>
#include <memory>

#include "client/cli/commands.h"
#include "client/cli/common.h"
#include "client/redis_sync.h"
#include "crypto/keys.h"
#include "services/keys.h"
#include "shared/client_id.h"
#include "shared/messages.h"

namespace sealpost::cli {
namespace {

using tools::Reply;
using tools::Text;

struct State {
  CommonFlags common;
  std::string id;
  std::string pk;
  std::string key_file;
  bool disable = false;
  std::string direct_policy;  // provision: the record's "direct" (empty: server default)
  std::string group_policy;   // provision: the record's "groups"
  std::string type;
  std::string data;
  std::vector<std::string> fields;
};

// Fields written by the dead-letter script, not part of the original event.
bool IsDeadLetterField(std::string_view name) {
  return name == "eventId" || name == "reason" || name == "attempts" || name == "deadAt";
}

// Counters and timestamps read back as numbers; everything else stays text.
nlohmann::ordered_json Value(std::string_view text) {
  if (!text.empty() && text.size() < 19 &&
      text.find_first_not_of("0123456789") == std::string_view::npos) {
    return std::stoll(std::string(text));
  }
  return std::string(text);
}

// Pairs of a flat [k, v, k, v...] reply (HGETALL, stream entry fields).
nlohmann::ordered_json Pairs(const redisReply* r, bool numbers) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY) return j;
  for (size_t i = 0; i + 1 < r->elements; i += 2) {
    std::string key(Text(r->element[i]));
    std::string_view value = Text(r->element[i + 1]);
    j[key] = numbers ? Value(value) : nlohmann::ordered_json(std::string(value));
  }
  return j;
}

bool Open(const State& s, tools::RedisSync* redis, bool check_id, int* rc) {
  if (check_id && !sp::proto::IsValidClientId(s.id)) {
    *rc = Fail("invalid client id '" + s.id + "' (1-64 of A-Z a-z 0-9 _ . -)");
    return false;
  }
  std::string error;
  if (!redis->Connect(s.common.redis, s.common.redis_password_file, &error)) {
    *rc = Fail(error);
    return false;
  }
  return true;
}

int RedisFailure(const tools::RedisSync& redis, const redisReply* r) {
  if (r == nullptr) return Fail("Redis: " + redis.Error());
  return Fail("Redis: " + std::string(Text(r)));
}

int Provision(const State& s) {
  uint8_t pk[sp::crypto::kKeyBytes];
  if (!sp::crypto::InitCrypto()) return Fail("cannot initialise libsodium");
  if (s.pk.empty() == s.key_file.empty()) return Fail("give exactly one of --pk or --key-file");
  if (!s.pk.empty() && !sp::crypto::ParsePublicKey(s.pk, pk)) {
    return Fail("--pk must be base64 of a 32-byte public key");
  }
  if (!s.key_file.empty()) {
    sp::crypto::KeyPair pair;
    auto rc = sp::crypto::LoadKeyFile(s.key_file, &pair);
    if (rc != sp::crypto::KeyFileError::Ok)
      return Fail(s.key_file + ": " + sp::crypto::Describe(rc));
    std::copy(pair.public_key, pair.public_key + sp::crypto::kKeyBytes, pk);
  }
  tools::RedisSync redis;
  int rc = 0;
  if (!Open(s, &redis, true, &rc)) return rc;
  // The server compares the base64 text: store the canonical encoding.
  std::string b64 = sp::crypto::Base64Encode({pk, sizeof pk});
  sp::services::Keys keys(s.common.key_prefix);
  std::vector<std::string> hset = {
      "HSET",     keys.Client(s.id),     "pk",      b64,
      "disabled", s.disable ? "1" : "0", "created", std::to_string(sp::proto::NowMs())};
  nlohmann::ordered_json j{{"client", s.id}, {"pk", b64}, {"disabled", s.disable}};
  for (auto [field, value] : {std::pair{"direct", &s.direct_policy}, {"groups", &s.group_policy}}) {
    if (value->empty()) continue;
    hset.insert(hset.end(), {field, *value});
    j[field] = *value;
  }
  Reply r = redis.Command(hset);
  if (tools::IsError(r.get())) return RedisFailure(redis, r.get());
  PrintLine(Dump(j));
  return 0;
}

int Push(const State& s) {
  std::vector<std::string> argv = {
      "XADD", sp::services::Keys(s.common.key_prefix).Events(s.id), "*", "type", s.type, "data",
      s.data};
  for (const std::string& field : s.fields) {
    size_t eq = field.find('=');
    if (eq == std::string::npos || eq == 0) return Fail("--field must be NAME=VALUE: " + field);
    argv.push_back(field.substr(0, eq));
    argv.push_back(field.substr(eq + 1));
  }
  if (s.type.empty()) return Fail("event type must not be empty");
  tools::RedisSync redis;
  int rc = 0;
  if (!Open(s, &redis, true, &rc)) return rc;
  Reply r = redis.Command(argv);
  if (tools::IsError(r.get())) return RedisFailure(redis, r.get());
  PrintLine(Text(r.get()));
  return 0;
}

// disable / enable: one script, so a client that is not provisioned is never
// half-created. Live sessions of a disabled client end within about a second
// on whichever node holds them (the nodes watch client records).
int SetDisabled(const State& s, bool disabled) {
  tools::RedisSync redis;
  int rc = 0;
  if (!Open(s, &redis, true, &rc)) return rc;
  static const char* kScript =
      "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end "
      "redis.call('HSET', KEYS[1], 'disabled', ARGV[1]) return 1";
  Reply r =
      redis.Command({"EVAL", kScript, "1", sp::services::Keys(s.common.key_prefix).Client(s.id),
                     disabled ? "1" : "0"});
  if (tools::IsError(r.get())) return RedisFailure(redis, r.get());
  if (r->type != REDIS_REPLY_INTEGER || r->integer != 1)
    return Fail("client '" + s.id + "' is not provisioned");
  PrintLine(Dump(nlohmann::ordered_json{{"client", s.id}, {"disabled", disabled}}));
  return 0;
}

int Dead(const State& s) {
  tools::RedisSync redis;
  int rc = 0;
  if (!Open(s, &redis, true, &rc)) return rc;
  Reply r = redis.Command({"XRANGE", sp::services::Keys(s.common.key_prefix).Dead(s.id), "-", "+"});
  if (tools::IsError(r.get())) return RedisFailure(redis, r.get());
  for (size_t i = 0; i < r->elements; ++i) {
    const redisReply* entry = r->element[i];
    if (entry->type != REDIS_REPLY_ARRAY || entry->elements < 2) continue;
    nlohmann::ordered_json j{{"deadId", std::string(Text(entry->element[0]))}};
    j.update(Pairs(entry->element[1], false));
    PrintLine(Dump(j));
  }
  return 0;
}

// Each entry moves in one MULTI/EXEC, so it is never in both streams or neither.
int Replay(const State& s) {
  tools::RedisSync redis;
  int rc = 0;
  if (!Open(s, &redis, true, &rc)) return rc;
  sp::services::Keys keys(s.common.key_prefix);
  Reply r = redis.Command({"XRANGE", keys.Dead(s.id), "-", "+"});
  if (tools::IsError(r.get())) return RedisFailure(redis, r.get());
  size_t queued = 0;
  for (size_t i = 0; i < r->elements; ++i) {
    const redisReply* entry = r->element[i];
    if (entry->type != REDIS_REPLY_ARRAY || entry->elements < 2) continue;
    const redisReply* fields = entry->element[1];
    std::vector<std::string> xadd = {"XADD", keys.Events(s.id), "*"};
    for (size_t f = 0; f + 1 < fields->elements; f += 2) {
      if (IsDeadLetterField(Text(fields->element[f]))) continue;
      xadd.emplace_back(Text(fields->element[f]));
      xadd.emplace_back(Text(fields->element[f + 1]));
    }
    if (xadd.size() == 3) continue;  // nothing left to deliver
    redis.Append({"MULTI"});
    redis.Append(xadd);
    redis.Append({"XDEL", keys.Dead(s.id), std::string(Text(entry->element[0]))});
    redis.Append({"EXEC"});
    queued++;
  }
  size_t moved = 0;
  for (size_t i = 0; i < queued; ++i) {
    Reply replies[4] = {redis.Next(), redis.Next(), redis.Next(), redis.Next()};
    if (!replies[3]) return RedisFailure(redis, nullptr);
    if (replies[3]->type == REDIS_REPLY_ARRAY && replies[3]->elements == 2 &&
        !tools::IsError(replies[3]->element[0]))
      moved++;
  }
  PrintLine(std::to_string(moved));
  return moved == queued ? 0 : Fail("some dead letters could not be replayed");
}

}  // namespace

int StatusOfClient(tools::RedisSync& redis, const State& s);
int StatusOfNodes(tools::RedisSync& redis, const State& s);

void AddAdminCommands(CLI::App& app, Commands* out) {
  // One State per subcommand (see AddLiveCommands: environment defaults).
  auto s = std::make_shared<State>();
  CLI::App* provision = app.add_subcommand("provision", "Register a client id and its public key");
  provision->add_option("id", s->id, "Client id")->required();
  provision->add_option("--pk", s->pk, "Client public key (base64)");
  provision->add_option("--key-file", s->key_file, "Take the public key from this key file");
  provision->add_flag("--disable", s->disable, "Register it disabled (connections refused)");
  provision
      ->add_option("--direct", s->direct_policy,
                   "Whom it may send direct messages to: any, none or group:<name> "
                   "(default: the server's --direct-policy)")
      ->check([](const std::string& v) {
        bool ok = v == "any" || v == "none" ||
                  (v.rfind("group:", 0) == 0 && sp::proto::IsValidClientId(v.substr(6)));
        return ok ? std::string() : std::string("any, none or group:<name>");
      });
  provision
      ->add_option("--groups", s->group_policy,
                   "Which groups it may send to: member, any or none "
                   "(default: the server's --group-policy)")
      ->check(CLI::IsMember({"member", "any", "none"}));
  AddCommonFlags(provision, &s->common, kRedisFlags);
  out->emplace_back(provision, [s] { return Provision(*s); });

  s = std::make_shared<State>();
  CLI::App* push = app.add_subcommand("push", "Add an event to a client's stream; prints its id");
  push->add_option("id", s->id, "Client id")->required();
  push->add_option("type", s->type, "Event type")->required();
  push->add_option("data", s->data, "Event data")->required();
  push->add_option("--field", s->fields, "Extra field NAME=VALUE (repeatable)");
  AddCommonFlags(push, &s->common, kRedisFlags);
  out->emplace_back(push, [s] { return Push(*s); });

  for (bool disabled : {true, false}) {
    s = std::make_shared<State>();
    CLI::App* cmd =
        app.add_subcommand(disabled ? "disable" : "enable",
                           disabled ? "Refuse a client's connections and end its live session"
                                    : "Accept a disabled client's connections again");
    cmd->add_option("id", s->id, "Client id")->required();
    AddCommonFlags(cmd, &s->common, kRedisFlags);
    out->emplace_back(cmd, [s, disabled] { return SetDisabled(*s, disabled); });
  }

  s = std::make_shared<State>();
  CLI::App* dead = app.add_subcommand("dead", "List a client's dead letters, one JSON line each");
  dead->add_option("id", s->id, "Client id")->required();
  AddCommonFlags(dead, &s->common, kRedisFlags);
  out->emplace_back(dead, [s] { return Dead(*s); });

  s = std::make_shared<State>();
  CLI::App* replay = app.add_subcommand("replay", "Move a client's dead letters back for delivery");
  replay->add_option("id", s->id, "Client id")->required();
  AddCommonFlags(replay, &s->common, kRedisFlags);
  out->emplace_back(replay, [s] { return Replay(*s); });

  s = std::make_shared<State>();
  CLI::App* status = app.add_subcommand("status", "Show a client's state, or the nodes (JSON)");
  status->add_option("id", s->id, "Client id (omit for the list of nodes)");
  AddCommonFlags(status, &s->common, kRedisFlags);
  out->emplace_back(status, [s] {
    tools::RedisSync redis;
    int rc = 0;
    if (!Open(*s, &redis, !s->id.empty(), &rc)) return rc;
    return s->id.empty() ? StatusOfNodes(redis, *s) : StatusOfClient(redis, *s);
  });
}

// status <id>: presence (online only while its node is alive), the events
// stream and its consumer group, dead letters and usage counters.
int StatusOfClient(tools::RedisSync& redis, const State& s) {
  sp::services::Keys keys(s.common.key_prefix);
  redis.Append({"HGETALL", keys.Presence(s.id)});
  redis.Append({"HMGET", keys.Client(s.id), "pk", "disabled", "created"});
  redis.Append({"XPENDING", keys.Events(s.id), std::string(sp::services::kGroup)});
  redis.Append({"XLEN", keys.Events(s.id)});
  redis.Append({"XLEN", keys.Dead(s.id)});
  redis.Append({"HGETALL", keys.Usage(s.id)});
  Reply r[6];
  for (Reply& reply : r) {
    reply = redis.Next();
    if (!reply) return Fail("Redis: " + redis.Error());
  }
  nlohmann::ordered_json presence = Pairs(r[0].get(), false);
  bool online = false;
  if (presence.contains("node") && presence["node"].is_string()) {
    Reply alive = redis.Command({"EXISTS", keys.Node(presence["node"].get<std::string>())});
    online = alive && alive->type == REDIS_REPLY_INTEGER && alive->integer == 1;
  }
  const redisReply* reg = r[1].get();
  bool provisioned = reg->type == REDIS_REPLY_ARRAY && reg->elements == 3 &&
                     reg->element[0]->type == REDIS_REPLY_STRING;
  std::string_view disabled = provisioned ? Text(reg->element[1]) : "";
  int64_t pending = 0;
  if (r[2]->type == REDIS_REPLY_ARRAY && r[2]->elements >= 1) pending = r[2]->element[0]->integer;
  nlohmann::ordered_json j{{"client", s.id}, {"provisioned", provisioned}};
  j["disabled"] = provisioned && !disabled.empty() && disabled != "0" && disabled != "false";
  j["online"] = online;
  for (const char* field : {"node", "session", "since"}) {
    if (!presence.contains(field))
      j[field] = nullptr;
    else
      j[field] = Value(presence[field].get<std::string>());
  }
  j["pending"] = pending;
  j["length"] = r[3]->type == REDIS_REPLY_INTEGER ? r[3]->integer : 0;
  j["dead"] = r[4]->type == REDIS_REPLY_INTEGER ? r[4]->integer : 0;
  j["usage"] = Pairs(r[5].get(), true);
  PrintLine(Dump(j));
  return 0;
}

int StatusOfNodes(tools::RedisSync& redis, const State& s) {
  sp::services::Keys keys(s.common.key_prefix);
  Reply members = redis.Command({"SMEMBERS", keys.Nodes()});
  if (tools::IsError(members.get())) return RedisFailure(redis, members.get());
  std::vector<std::string> names;
  for (size_t i = 0; i < members->elements; ++i) names.emplace_back(Text(members->element[i]));
  std::sort(names.begin(), names.end());
  nlohmann::ordered_json nodes = nlohmann::ordered_json::array();
  for (const std::string& name : names) {
    Reply info = redis.Command({"HGETALL", keys.Node(name)});
    if (!info) return RedisFailure(redis, nullptr);
    nlohmann::ordered_json node{{"node", name}};
    nlohmann::ordered_json fields = Pairs(info.get(), true);
    node["alive"] = !fields.empty();  // the hash expires when the node stops beating
    node.update(fields);
    nodes.push_back(std::move(node));
  }
  PrintLine(Dump(nlohmann::ordered_json{{"nodes", nodes}}));
  return 0;
}

}  // namespace sealpost::cli
