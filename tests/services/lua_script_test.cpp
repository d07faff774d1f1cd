// LuaScript against a real redis-server: the text crosses the link until
// Redis has the script, then only its SHA1; a flushed cache or a restarted
// Redis costs one failed (transient) call at most, never a stuck script.
#include "services/lua_script.h"
#include "services/redis_connection.h"

#include <doctest/doctest.h>
#include <uv.h>

#include <chrono>
#include <string>
#include <thread>

#include "services/redis_reply.h"
#include "tests/support/cluster.h"

using namespace sp::services;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view kIncr = "return redis.call('INCRBY', KEYS[1], ARGV[1])";

struct Loop {
  Loop() { REQUIRE(uv_loop_init(&loop) == 0); }
  ~Loop() {
    for (int i = 0; i < 100 && uv_run(&loop, UV_RUN_NOWAIT) != 0; ++i)
      std::this_thread::sleep_for(1ms);
    uv_loop_close(&loop);
  }
  uv_loop_t loop;
};

struct ScriptEnv {
  ScriptEnv() : link(&loop_.loop, Endpoint(), "commands"), script(kIncr) {
    link.Start();
    REQUIRE(RunUntil([&] { return link.IsUp(); }));
  }
  ~ScriptEnv() {
    bool stopped = false;
    link.Stop([&] { stopped = true; });
    CHECK(RunUntil([&] { return stopped; }));
  }
  RedisEndpoint Endpoint() {
    RedisEndpoint ep;
    ep.port = redis.Port();
    return ep;
  }
  template <class Pred>
  bool RunUntil(Pred pred, std::chrono::milliseconds timeout = 10s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      uv_run(&loop_.loop, UV_RUN_NOWAIT);
      std::this_thread::sleep_for(1ms);
    }
    return true;
  }
  // Runs the script once and waits: the reply's integer, or -1 for an error.
  long long Call(bool* transient = nullptr) {
    bool done = false;
    long long value = -1;
    REQUIRE(script.Run(link, {"1", "counter", "1"}, [&](const redisReply* r) {
      done = true;
      if (r != nullptr && r->type == REDIS_REPLY_INTEGER) value = r->integer;
      if (transient) *transient = IsTransientRedisError(r);
    }));
    REQUIRE(RunUntil([&] { return done; }));
    return value;
  }
  long long Calls(const std::string& command) {
    std::string info = redis.String({"INFO", "commandstats"});
    std::string tag = "cmdstat_" + command + ":calls=";
    size_t at = info.find(tag);
    return at == std::string::npos ? 0 : std::stoll(info.substr(at + tag.size()));
  }
  sp::testkit::Redis redis;
  Loop loop_;
  RedisConnection link;
  LuaScript script;
};

}  // namespace

TEST_CASE("a script goes as EVAL until loaded, then as EVALSHA") {
  ScriptEnv env;
  CHECK(env.Call() == 1);
  for (int i = 2; i <= 10; ++i) CHECK(env.Call() == i);
  CHECK(env.Calls("eval") >= 1);
  CHECK(env.Calls("evalsha") >= 8);
}

TEST_CASE("a flushed script cache costs one transient failure, then the script works again") {
  ScriptEnv env;
  for (int i = 1; i <= 3; ++i) CHECK(env.Call() == i);
  REQUIRE(env.Calls("evalsha") >= 1);
  env.redis.Command({"SCRIPT", "FLUSH"});
  bool transient = false;
  long long first = env.Call(&transient);
  if (first == -1) CHECK(transient);  // NOSCRIPT: the caller retries later
  long long after = env.Call();
  CHECK(after == (first == -1 ? 4 : 5));
  CHECK(env.Call() == after + 1);
}

TEST_CASE("after Redis restarts (empty script cache) the first call is already right") {
  ScriptEnv env;
  for (int i = 1; i <= 3; ++i) CHECK(env.Call() == i);
  uint64_t before = env.link.Generation();
  env.redis.Restart();  // no AOF: the counter starts again
  REQUIRE(env.RunUntil([&] { return env.link.IsUp() && env.link.Generation() > before; }, 20s));
  CHECK(env.Call() == 1);  // EVAL on the new connection, not a NOSCRIPT
}
