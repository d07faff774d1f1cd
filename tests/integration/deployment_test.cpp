// What the container image and the systemd unit rely on: the server makes its
// own key on first start and never replaces it, and the server and the CLI
// read the Redis password from a file (never from a URL on a command line).
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <fstream>
#include <regex>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

using namespace sp::testkit;
using namespace std::chrono_literals;

namespace {

constexpr const char* kPassword = "s3cret-for-the-test";

// A private redis-server that refuses every command before AUTH.
struct PasswordRedis {
  PasswordRedis()
      : port(FreePort()),
        process({"redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1", "--dir",
                 dir.Path(), "--save", "", "--requirepass", kPassword},
                dir.File("redis")) {
    REQUIRE(WaitForPort(port, 5s));
    std::ofstream(dir.File("redis-password")) << kPassword << "\n";
  }
  std::string Url() const { return "redis://127.0.0.1:" + std::to_string(port) + "/0"; }
  std::string PasswordFile() const { return dir.File("redis-password"); }
  TempDir dir;  // first: outlives the process writing into it
  int port;
  Process process;
};

Process StartServer(const PasswordRedis& redis, const std::string& key_file, const TempDir& dir,
                    const std::string& log) {
  int port = FreePort();
  Process server({BinDir() + "/sealpost-server", "--listen", "127.0.0.1:" + std::to_string(port),
                  "--redis", redis.Url(), "--redis-password-file", redis.PasswordFile(),
                  "--key-file", key_file, "--env-file", "/dev/null"},
                 dir.File(log));
  REQUIRE(WaitForPort(port, 10s));
  REQUIRE(server.WaitForOutput("redis.connected", 10s));
  return server;
}

std::string LoggedPublicKey(const Process& server) {
  std::smatch m;
  std::string err = server.Stderr();
  REQUIRE(std::regex_search(err, m, std::regex(R"(pk="?([A-Za-z0-9+/=]{44}))")));
  return m[1];
}

}  // namespace

TEST_CASE("the server creates its key file (0600) on first start and keeps it across restarts") {
  PasswordRedis redis;
  TempDir dir;
  const std::string key_file = dir.File("server.key");
  Process first = StartServer(redis, key_file, dir, "first");
  struct stat st {};
  REQUIRE(stat(key_file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  const std::string pk = LoggedPublicKey(first);
  std::string printed;
  REQUIRE(Run({BinDir() + "/sealpost", "pubkey", "--key", key_file}, &printed) == 0);
  CHECK(printed.find(pk) != std::string::npos);  // the log tells the truth
  const std::string content = ReadFile(key_file);
  CHECK(first.Stop() == 0);

  Process second = StartServer(redis, key_file, dir, "second");
  CHECK(LoggedPublicKey(second) == pk);
  CHECK(ReadFile(key_file) == content);
  CHECK(second.Stderr().find("server.key_created") == std::string::npos);
}

TEST_CASE("the CLI reads the Redis password from --redis-password-file, without it Redis refuses") {
  PasswordRedis redis;
  std::string out, err;
  CHECK(Run({BinDir() + "/sealpost", "status", "--redis", redis.Url(), "--redis-password-file",
             redis.PasswordFile()},
            &out, &err) == 0);
  CHECK(err.find(kPassword) == std::string::npos);
  CHECK(Run({BinDir() + "/sealpost", "status", "--redis", redis.Url()}, &out, &err) != 0);
  CHECK(Run({BinDir() + "/sealpost", "status", "--redis", redis.Url(), "--redis-password-file",
             redis.dir.File("missing")},
            &out, &err) != 0);
  CHECK(err.find("missing") != std::string::npos);
}
