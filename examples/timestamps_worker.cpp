// A worker that answers requests (docs/PROTOCOL.md §6): the timestamp server
// sealpost grew from, now behind authenticated, encrypted connections.
// Clients ask `request query SetA-Two`; the server stores each request in
// sp:requests:query; this worker reads them with a consumer group, looks the
// query up in a Redis hash it loads at start (set-name -> count) and replies
// into the asking client's own stream: that many time stamps as partial
// replies ("last" = "0"), then "END"; an unknown query gets "EMPTY".
//
//   sealpost-example-timestamps --redis redis://127.0.0.1:6390/0
//   sealpost request --id 101 query SetA-Two
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "client/redis_sync.h"

using sealpost::tools::RedisSync;
using sealpost::tools::Text;

namespace {

volatile std::sig_atomic_t stop_requested = 0;

struct Request {
  std::string entry_id;
  std::string client;
  std::string id;
  std::string params;  // JSON text
};

// The seed project's table, as field -> count of a Redis hash.
const std::vector<std::pair<std::string, int>> kTable = {
    {"SetA-One", 1}, {"SetA-Two", 2},   {"SetB-Three", 3}, {"SetB-Four", 4}, {"SetC-Five", 5},
    {"SetC-Six", 6}, {"SetD-Seven", 7}, {"SetD-Eight", 8}, {"SetE-Nine", 9}, {"SetE-Ten", 10}};

std::string NowIso() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[40];
  size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(text + n, sizeof text - n, ".%03dZ", static_cast<int>(ms % 1000));
  return text;
}

// The query is the request's params: a JSON string ("SetA-Two").
std::string QueryOf(const std::string& params) {
  auto j = nlohmann::json::parse(params, nullptr, /*allow_exceptions=*/false);
  return j.is_string() ? j.get<std::string>() : std::string();
}

std::vector<Request> ReadBatch(RedisSync& redis, const std::string& stream) {
  std::vector<Request> out;
  auto r = redis.Command({"XREADGROUP", "GROUP", "timestamps", "worker", "COUNT", "100", "BLOCK",
                          "1000", "STREAMS", stream, ">"});
  if (!r || r->type != REDIS_REPLY_ARRAY || r->elements == 0) return out;
  const redisReply* entries = r->element[0]->element[1];
  for (size_t i = 0; i < entries->elements; ++i) {
    Request req;
    req.entry_id = std::string(Text(entries->element[i]->element[0]));
    const redisReply* body = entries->element[i]->element[1];
    for (size_t f = 0; f + 1 < body->elements; f += 2) {
      std::string_view name = Text(body->element[f]);
      std::string value(Text(body->element[f + 1]));
      if (name == "client") req.client = value;
      if (name == "id") req.id = value;
      if (name == "params") req.params = value;
    }
    out.push_back(std::move(req));
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sealpost example worker: answers `request query <Set-Name>` with time stamps"};
  std::string url = "redis://127.0.0.1:6379/0";
  std::string password_file;
  std::string prefix = "sp:";
  app.add_option("--redis", url, "Redis URL")->envname("SEALPOST_REDIS_URL")->capture_default_str();
  app.add_option("--redis-password-file", password_file, "Redis password file")
      ->envname("SEALPOST_REDIS_PASSWORD_FILE");
  app.add_option("--key-prefix", prefix, "Key prefix")->envname("SEALPOST_KEY_PREFIX");
  CLI11_PARSE(app, argc, argv);
  std::signal(SIGINT, [](int) { stop_requested = 1; });
  std::signal(SIGTERM, [](int) { stop_requested = 1; });

  RedisSync redis;
  std::string error;
  if (!redis.Connect(url, password_file, &error)) {
    std::fprintf(stderr, "timestamps worker: %s\n", error.c_str());
    return 1;
  }
  std::string table = prefix + "example:timestamps";
  std::vector<std::string> hset = {"HSET", table};
  for (const auto& [name, count] : kTable) hset.insert(hset.end(), {name, std::to_string(count)});
  redis.Command(hset);
  std::string stream = prefix + "requests:query";
  // From 0: requests stored before the worker first started are answered too.
  redis.Command({"XGROUP", "CREATE", stream, "timestamps", "0", "MKSTREAM"});  // BUSYGROUP is fine
  std::fprintf(stderr, "timestamps worker: serving %s\n", stream.c_str());
  while (!stop_requested) {
    for (const Request& req : ReadBatch(redis, stream)) {
      auto found = redis.Command({"HGET", table, QueryOf(req.params)});
      int count = found && found->type == REDIS_REPLY_STRING ? std::atoi(found->str) : 0;
      std::string events = prefix + "{" + req.client + "}:events";
      // The replies and the ack leave together; Redis runs them in order.
      for (int i = 0; i < count; ++i)
        redis.Append(
            {"XADD", events, "*", "type", "reply", "re", req.id, "data", NowIso(), "last", "0"});
      redis.Append(
          {"XADD", events, "*", "type", "reply", "re", req.id, "data", count ? "END" : "EMPTY"});
      redis.Append({"XACK", stream, "timestamps", req.entry_id});
      for (int i = 0; i < count + 2; ++i) redis.Next();
    }
    if (redis.Broken() && !redis.Connect(url, password_file, &error)) {
      std::fprintf(stderr, "timestamps worker: %s; retrying\n", error.c_str());
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  }
  return 0;
}
