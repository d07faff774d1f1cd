// Two real sealpost-server nodes on one Redis, sharing one server key: a
// `sealpost listen` given both moves to the survivor when its node is killed,
// and every event pushed before, during and after the move is printed.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <set>
#include <sstream>

#include "tests/support/cluster.h"
#include "tests/support/eventually.h"
#include "tests/support/temp_dir.h"

using namespace sp::testkit;
using namespace std::chrono_literals;

namespace {

// The distinct `data` values of the JSON lines the listener printed so far.
std::set<std::string> Printed(const Process& listener) {
  std::set<std::string> data;
  std::istringstream lines(listener.Stdout());
  std::string line;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.contains("data")) data.insert(j["data"].get<std::string>());
  }
  return data;
}

// GCC 12 warns (-Wrestrict, a false positive) on "literal" + std::string&&.
std::string Data(int i) {
  std::string data = "e";
  data += std::to_string(i);
  return data;
}

std::string SessionOn(const std::string& address) {
  std::string line = " at ";
  line += address;
  line += ")";
  return line;
}

}  // namespace

TEST_CASE("a listener given two nodes moves to the other when its node is killed, losing nothing") {
  REQUIRE(sp::crypto::InitCrypto());
  Redis redis;
  auto server_key = sp::crypto::GenerateKeyPair();
  Server a(redis, server_key);
  Server b(redis, server_key);
  TempDir dir;
  auto client_key = sp::crypto::GenerateKeyPair();
  std::string key_file = dir.File("901.key");
  REQUIRE(sp::crypto::WriteKeyFile(key_file, client_key) == sp::crypto::KeyFileError::Ok);
  redis.Provision("901", client_key);

  std::string address_a = "127.0.0.1:" + std::to_string(a.Port());
  std::string address_b = "127.0.0.1:" + std::to_string(b.Port());
  constexpr int kEvents = 60;
  Process listener({BinDir() + "/sealpost", "listen", "--id", "901", "--key", key_file, "--server",
                    address_a + "," + address_b, "--server-pk", a.PublicKey(), "--exit-after",
                    std::to_string(kEvents), "-v"},
                   dir.File("listener"));
  REQUIRE(listener.WaitForOutput("connected as 901", 10s));
  // The client starts at a random one of the two; find which, from its line.
  bool on_a = listener.Stderr().find(SessionOn(address_a)) != std::string::npos;
  bool on_b = listener.Stderr().find(SessionOn(address_b)) != std::string::npos;
  REQUIRE(on_a != on_b);
  Server& first = on_a ? a : b;
  const std::string& survivor = on_a ? address_b : address_a;

  for (int i = 0; i < kEvents / 3; ++i) redis.Xadd("901", "n", Data(i));
  REQUIRE(Eventually([&] { return Printed(listener).size() == kEvents / 3; }, 10s));
  // Pushed while the session is live; some are in flight, unacked, when the
  // node dies: they wait in its pending list for the next session.
  for (int i = kEvents / 3; i < 2 * kEvents / 3; ++i) redis.Xadd("901", "n", Data(i));
  first.Kill9();
  // Pushed while the client has no session at all.
  for (int i = 2 * kEvents / 3; i < kEvents; ++i) redis.Xadd("901", "n", Data(i));

  INFO(listener.Stderr());
  REQUIRE(listener.Wait(30s) == 0);  // --exit-after: every event printed and acked
  CHECK(listener.Stderr().find(SessionOn(survivor)) != std::string::npos);
  std::set<std::string> printed = Printed(listener);
  CHECK(printed.size() == kEvents);
  for (int i = 0; i < kEvents; ++i) CHECK(printed.count(Data(i)) == 1);
  CHECK(redis.Integer({"XLEN", "sp:{901}:dead"}) == 0);
}
