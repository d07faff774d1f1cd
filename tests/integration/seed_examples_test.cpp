// The small projects sealpost grew from (../seeds in the team notes), each
// run as its user would run it against the real server and Redis: the chat
// (three people in tmux), the timestamp queries, the periodic sender, and
// the echo client that authenticates the server.
#include <doctest/doctest.h>

#include <unistd.h>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/cluster.h"
#include "tests/support/eventually.h"
#include "tests/support/relay.h"
#include "tests/support/temp_dir.h"

using namespace sp::testkit;
using namespace std::chrono_literals;

namespace {

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  return lines;
}

bool IsIsoTime(const std::string& s) {
  return s.size() == 24 && s[4] == '-' && s[10] == 'T' && s[19] == '.' && s.back() == 'Z';
}

// One server behind a recording relay; clients provisioned with CLI keys.
struct SeedEnv {
  explicit SeedEnv(std::vector<std::string> server_args = {})
      : server(redis, std::move(server_args)), relay(server.Port()) {
    REQUIRE(sp::crypto::InitCrypto());
  }
  std::string Sealpost() const { return BinDir() + "/sealpost"; }
  std::string Key(const std::string& id) { return dir.File(id + ".key"); }
  void Provision(const std::string& id) {
    std::string pk;
    REQUIRE(Run({Sealpost(), "keygen", "--out", Key(id)}, &pk) == 0);
    REQUIRE(Run({Sealpost(), "provision", id, "--pk", Trim(pk), "--redis", redis.Url()}) == 0);
  }
  // A client command through the relay, pinning the server's key.
  std::vector<std::string> Client(const std::string& id, std::vector<std::string> args) {
    std::vector<std::string> argv = {Sealpost()};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(),
                {"--id", id, "--key", Key(id), "--server",
                 "127.0.0.1:" + std::to_string(relay.Port()), "--server-pk", server.PublicKey()});
    return argv;
  }
  Redis redis;
  Server server;
  Relay relay;
  TempDir dir;
};

std::string ShellQuote(const std::string& s) {
  std::string out("'");
  for (char c : s) {
    if (c == '\'')
      out.append("'\\''");
    else
      out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

std::string Joined(const std::vector<std::string>& argv) {
  std::string cmd;
  for (const std::string& a : argv) {
    if (!cmd.empty()) cmd.push_back(' ');
    cmd.append(ShellQuote(a));
  }
  return cmd;
}

// A private tmux server: one session per person, driven with send-keys and
// read with capture-pane, as a person types and reads.
class Tmux {
 public:
  explicit Tmux(const TempDir& dir)
      : socket_("sealpost-test-" + std::to_string(getpid()) + "-" + std::to_string(++count_)),
        dir_(dir) {}
  ~Tmux() { Run({"tmux", "-L", socket_, "kill-server"}); }
  void Start(const std::string& name, const std::vector<std::string>& argv) {
    // HOME in the test dir: nothing of the user's is read or written.
    std::string cmd("HOME=");
    cmd.append(ShellQuote(dir_.Path())).append(" ").append(Joined(argv)).append("; sleep 30");
    REQUIRE(Run({"tmux", "-L", socket_, "-f", "/dev/null", "new-session", "-d", "-s", name, "-x",
                 "160", "-y", "40", cmd}) == 0);
  }
  void Type(const std::string& name, const std::string& text) {
    REQUIRE(Run({"tmux", "-L", socket_, "send-keys", "-t", name, "-l", text}) == 0);
    REQUIRE(Run({"tmux", "-L", socket_, "send-keys", "-t", name, "Enter"}) == 0);
  }
  std::string Screen(const std::string& name) {
    std::string out;
    Run({"tmux", "-L", socket_, "capture-pane", "-p", "-t", name}, &out);
    return out;
  }
  bool Shows(const std::string& name, const std::string& text,
             std::chrono::milliseconds timeout = 10s) {
    return Eventually([&] { return Screen(name).find(text) != std::string::npos; }, timeout, 100ms);
  }

 private:
  static inline int count_ = 0;
  std::string socket_;
  const TempDir& dir_;
};

}  // namespace

TEST_CASE("seed chat: three people in a room, /pm, join and leave, user not found, no clear text") {
  SeedEnv env;
  for (const char* id : {"alice", "bob", "carol"}) env.Provision(id);
  REQUIRE(Run({env.Sealpost(), "group", "add", "lobby", "alice", "bob", "carol", "--redis",
               env.redis.Url()}) == 0);
  REQUIRE(Run({env.Sealpost(), "group", "presence", "lobby", "on", "--redis", env.redis.Url()}) ==
          0);
  Tmux tmux(env.dir);
  tmux.Start("alice", env.Client("alice", {"chat", "--room", "lobby"}));
  REQUIRE(tmux.Shows("alice", "connected as alice to room lobby"));
  tmux.Start("bob", env.Client("bob", {"chat", "--room", "lobby"}));
  REQUIRE(tmux.Shows("bob", "connected as bob"));
  CHECK(tmux.Shows("alice", "* bob joined lobby"));
  tmux.Start("carol", env.Client("carol", {"chat", "--room", "lobby"}));
  REQUIRE(tmux.Shows("carol", "connected as carol"));
  CHECK(tmux.Shows("alice", "* carol joined lobby"));
  CHECK(tmux.Shows("bob", "* carol joined lobby"));

  tmux.Type("bob", "hello from bob");
  CHECK(tmux.Shows("alice", "[lobby] bob: hello from bob"));
  CHECK(tmux.Shows("carol", "[lobby] bob: hello from bob"));

  tmux.Type("alice", "/pm carol psst, only for carol");
  CHECK(tmux.Shows("carol", "[pm from alice] psst, only for carol"));
  tmux.Type("carol", "/pm zed are you there");
  CHECK(tmux.Shows("carol", "user not found: zed"));
  tmux.Type("carol", "/who");
  CHECK(tmux.Shows("carol", "* in lobby: alice (online) bob (online) carol (online)"));

  tmux.Type("bob", "/quit");
  CHECK(tmux.Shows("alice", "* bob left lobby"));
  CHECK(tmux.Shows("carol", "* bob left lobby"));
  // Only carol got the private message.
  CHECK(tmux.Screen("bob").find("psst") == std::string::npos);
  CHECK(tmux.Screen("alice").find("[pm from") == std::string::npos);

  // What an observer of the wire saw: none of it.
  std::string wire = env.relay.ClientToServer() + env.relay.ServerToClient();
  CHECK(env.relay.Connections() >= 3);
  for (const char* text : {"hello from bob", "psst", "only for carol", "joined", "lobby"})
    CHECK_MESSAGE(wire.find(text) == std::string::npos, text);
}

TEST_CASE("seed timestamps: SetA-Two answers two time stamps then END, unknown is EMPTY") {
  SeedEnv env;
  env.Provision("q1");
  Process worker({BinDir() + "/sealpost-example-timestamps", "--redis", env.redis.Url()},
                 env.dir.File("worker"));
  REQUIRE(worker.WaitForOutput("serving", 10s));
  CHECK(env.redis.String({"HGET", "sp:example:timestamps", "SetA-Two"}) == "2");
  // An interactive session: several queries, then exit.
  std::string session("printf 'SetA-Two\\nSetZ-Unknown\\nSetB-Three\\nexit\\n' | ");
  session.append(Joined(env.Client("q1", {"request", "query", "--interactive"})));
  std::string out, err;
  REQUIRE(Run({"sh", "-c", session}, &out, &err, 30s) == 0);
  INFO(err);
  std::vector<std::string> lines = Lines(out);
  REQUIRE(lines.size() == 8);
  CHECK(IsIsoTime(lines[0]));
  CHECK(IsIsoTime(lines[1]));
  CHECK(lines[2] == "END");
  CHECK(lines[3] == "EMPTY");
  for (int i = 4; i < 7; ++i) CHECK(IsIsoTime(lines[i]));
  CHECK(lines[7] == "END");
  // Nothing is left for the client's next session: every reply was acked.
  CHECK(Eventually([&] { return env.redis.Integer({"XLEN", "sp:{q1}:events"}) == 0; }));
  worker.Stop();
}

TEST_CASE(
    "seed periodic sender: every message stored and time-stamped; oversize states the limit") {
  SeedEnv env({"--max-frame-bytes", "1000"});
  env.Provision("p1");
  std::string out, err;
  REQUIRE(Run(env.Client("p1", {"send", "--every", "200ms", "--count", "3", "tick", "hello"}), &out,
              &err, 30s) == 0);
  INFO(err);
  std::vector<std::string> lines = Lines(out);
  REQUIRE(lines.size() == 3);
  for (const std::string& line : lines) {
    CHECK(line.find(" stored ") != std::string::npos);
    CHECK(IsIsoTime(line.substr(line.rfind(' ') + 1)));
  }
  auto entries = env.redis.Command({"XRANGE", "sp:inbound", "-", "+"});
  REQUIRE(entries->elements == 3);
  for (size_t i = 0; i < entries->elements; ++i) {
    auto* body = entries->element[i]->element[1];
    std::string ts;
    for (size_t f = 0; f + 1 < body->elements; f += 2)
      if (std::string(body->element[f]->str) == "sentAt") ts = body->element[f + 1]->str;
    CHECK(std::stoll(ts) > 0);
  }
  // 900 bytes of data make a frame over 1000 bytes: refused, with the limit.
  std::string big(900, 'x');
  CHECK(Run(env.Client("p1", {"send", "tick", big}), &out, &err, 30s) == 1);
  CHECK(err.find("limit") != std::string::npos);
  CHECK(err.find("1000") != std::string::npos);
  CHECK(env.redis.Integer({"XLEN", "sp:inbound"}) == 3);
}

TEST_CASE("seed echo: a pinned server key answers echo; another key is refused before the id") {
  SeedEnv env;
  env.Provision("e1");
  std::string out, err;
  REQUIRE(Run(env.Client("e1", {"request", "echo", R"({"hello":"sealpost"})"}), &out, &err, 30s) ==
          0);
  CHECK(Trim(out) == R"({"hello":"sealpost"})");
  std::string stamped;
  REQUIRE(Run(env.Client("e1", {"request", "echo", "again", "--json"}), &stamped, &err, 30s) == 0);
  auto reply = nlohmann::json::parse(Trim(stamped));
  CHECK(reply["data"] == "\"again\"");
  CHECK(std::stoll(reply["serverTs"].get<std::string>()) > 0);

  // An impostor on the same Redis with its own key, behind its own relay.
  Server impostor(env.redis);
  Relay path(impostor.Port());
  std::vector<std::string> argv = env.Client("e1", {"request", "echo", "secret"});
  for (size_t i = 0; i + 1 < argv.size(); ++i)
    if (argv[i] == "--server") argv[i + 1] = "127.0.0.1:" + std::to_string(path.Port());
  CHECK(Run(argv, &out, &err, 30s) == 1);
  CHECK(err.find("server key mismatch") != std::string::npos);
  // The client sent handshake message 1 and stopped: one frame, no id, nothing else.
  std::string sent = path.ClientToServer();
  CHECK(std::count(sent.begin(), sent.end(), '\0') == path.Connections());
  CHECK(sent.find("e1") == std::string::npos);
  CHECK(impostor.Proc().Stderr().find("e1") == std::string::npos);
}
