// A backend worker: consumes client-events from sp:inbound (consumer group
// "examples") and answers by XADDing events to the clients' own streams, which
// sealpost delivers. It brings the behaviour of the small projects sealpost
// grew from onto authenticated, encrypted connections:
//   echo        every client-event comes back as an "echo" event (TLS echo server)
//   timestamps  query "SetA-Two" -> that many "timestamp" events, then "END";
//               unknown queries -> "EMPTY" (Fernet timestamp server)
//   chat        join/say/pm/leave: notices and messages to everyone, private
//               messages, "user not found"; names bound to authenticated ids
//
//   sealpost-example-worker --mode chat --redis redis://127.0.0.1:6390/0
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <string>
#include <vector>

#include "client/redis_sync.h"

using sealpost::tools::RedisSync;
using sealpost::tools::Text;

namespace {

struct Inbound {
  std::string entry_id;
  std::string client;
  std::map<std::string, std::string> fields;
};

class Worker {
 public:
  Worker(RedisSync& redis, std::string prefix) : redis_(redis), prefix_(std::move(prefix)) {}

  void Push(const std::string& client, const std::string& type, const std::string& data) {
    redis_.Command({"XADD", prefix_ + "{" + client + "}:events", "*", "type", type, "data", data});
  }

  void Echo(const Inbound& in) { Push(in.client, "echo", Field(in, "data")); }

  // "SetA-Two" -> 2 time stamps then END; anything not in the table -> EMPTY.
  void Timestamps(const Inbound& in) {
    static const std::map<std::string, std::map<std::string, int>> kTable = {
        {"SetA", {{"One", 1}, {"Two", 2}}},
        {"SetB", {{"Three", 3}, {"Four", 4}}},
        {"SetC", {{"Five", 5}, {"Six", 6}}},
        {"SetD", {{"Seven", 7}, {"Eight", 8}}},
        {"SetE", {{"Nine", 9}, {"Ten", 10}}}};
    std::string query = Field(in, "data");
    size_t dash = query.find('-');
    int count = 0;
    if (dash != std::string::npos) {
      auto set = kTable.find(query.substr(0, dash));
      if (set != kTable.end()) {
        auto name = set->second.find(query.substr(dash + 1));
        if (name != set->second.end()) count = name->second;
      }
    }
    if (count == 0) {
      Push(in.client, "answer", "EMPTY");
      return;
    }
    for (int i = 0; i < count; ++i) Push(in.client, "timestamp", Now());
    Push(in.client, "answer", "END");
  }

  void Chat(const Inbound& in) {
    std::string type = Field(in, "type");
    std::string data = Field(in, "data");
    auto me = names_by_client_.find(in.client);
    if (type == "join") {
      auto taken = clients_by_name_.find(data);
      if (data.empty() || (taken != clients_by_name_.end() && taken->second != in.client)) {
        Push(in.client, "error", "name taken or empty");
        return;
      }
      if (me != names_by_client_.end()) clients_by_name_.erase(me->second);
      names_by_client_[in.client] = data;
      clients_by_name_[data] = in.client;
      Broadcast("notice", data + " joined");
      return;
    }
    if (me == names_by_client_.end()) {
      Push(in.client, "error", "join first");
      return;
    }
    const std::string& name = me->second;
    if (type == "say") {
      Broadcast("message", name + ": " + data);
    } else if (type == "pm") {
      size_t space = data.find(' ');
      auto to = clients_by_name_.find(data.substr(0, space));
      if (to == clients_by_name_.end()) {
        Push(in.client, "error", "user not found");
        return;
      }
      Push(to->second, "private",
           name + ": " + (space == std::string::npos ? "" : data.substr(space + 1)));
    } else if (type == "leave") {
      Broadcast("notice", name + " left");
      clients_by_name_.erase(name);
      names_by_client_.erase(me);
    } else {
      Push(in.client, "error", "unknown command " + type);
    }
  }

 private:
  static std::string Field(const Inbound& in, const std::string& name) {
    auto it = in.fields.find(name);
    return it == in.fields.end() ? std::string() : it->second;
  }
  static std::string Now() {
    auto now = std::chrono::system_clock::now();
    std::time_t t = std::chrono::system_clock::to_time_t(now);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    return buf;
  }
  void Broadcast(const std::string& type, const std::string& text) {
    for (const auto& [client, name] : names_by_client_) Push(client, type, text);
  }

  RedisSync& redis_;
  std::string prefix_;
  std::map<std::string, std::string> names_by_client_;
  std::map<std::string, std::string> clients_by_name_;
};

// Reads up to 100 new client-events (blocking up to 1 s).
std::vector<Inbound> ReadBatch(RedisSync& redis, const std::string& stream) {
  std::vector<Inbound> out;
  auto r = redis.Command({"XREADGROUP", "GROUP", "examples", "worker", "COUNT", "100", "BLOCK",
                          "1000", "STREAMS", stream, ">"});
  if (!r || r->type != REDIS_REPLY_ARRAY || r->elements == 0) return out;
  const redisReply* entries = r->element[0]->element[1];
  for (size_t i = 0; i < entries->elements; ++i) {
    Inbound in;
    in.entry_id = std::string(Text(entries->element[i]->element[0]));
    const redisReply* body = entries->element[i]->element[1];
    for (size_t f = 0; f + 1 < body->elements; f += 2)
      in.fields[std::string(Text(body->element[f]))] = std::string(Text(body->element[f + 1]));
    in.client = in.fields["client"];
    out.push_back(std::move(in));
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sealpost example backend worker: echo, timestamps or chat over sp:inbound"};
  std::string mode = "echo";
  std::string url = "redis://127.0.0.1:6379/0";
  std::string prefix = "sp:";
  double duration = 0;
  app.add_option("--mode", mode, "echo, timestamps or chat")
      ->check(CLI::IsMember({"echo", "timestamps", "chat"}))
      ->capture_default_str();
  app.add_option("--redis", url, "Redis URL")->envname("SEALPOST_REDIS_URL")->capture_default_str();
  app.add_option("--key-prefix", prefix, "Key prefix")->envname("SEALPOST_KEY_PREFIX");
  app.add_option("--duration", duration, "Stop after this many seconds (0: run until killed)");
  CLI11_PARSE(app, argc, argv);

  RedisSync redis;
  std::string error;
  if (!redis.Connect(url, &error)) {
    std::fprintf(stderr, "worker: %s\n", error.c_str());
    return 1;
  }
  std::string stream = prefix + "inbound";
  // From 0: client-events sent before the first worker started are handled too.
  redis.Command({"XGROUP", "CREATE", stream, "examples", "0", "MKSTREAM"});  // BUSYGROUP is fine
  Worker worker(redis, prefix);
  auto start = std::chrono::steady_clock::now();
  while (duration <= 0 ||
         std::chrono::steady_clock::now() - start < std::chrono::duration<double>(duration)) {
    for (const Inbound& in : ReadBatch(redis, stream)) {
      if (mode == "echo")
        worker.Echo(in);
      else if (mode == "timestamps")
        worker.Timestamps(in);
      else
        worker.Chat(in);
      redis.Command({"XACK", stream, "examples", in.entry_id});
    }
  }
  return 0;
}
