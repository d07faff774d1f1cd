// Server lists: "a:9300,b:9300" or a vector of entries, each host:port or
// [v6]:port; mistakes are refused with a reason naming the entry.
#include <doctest/doctest.h>

#include "client/server_list.h"

using sealpost::internal::ServerEntries;
using sealpost::internal::SplitHostPort;

namespace {

std::vector<std::string> Entries(const std::string& server, std::vector<std::string> servers = {}) {
  std::vector<std::string> entries;
  std::string error;
  REQUIRE_MESSAGE(ServerEntries(server, servers, &entries, &error), error);
  return entries;
}

std::string Refusal(const std::string& server, std::vector<std::string> servers = {}) {
  std::vector<std::string> entries;
  std::string error;
  CHECK_FALSE(ServerEntries(server, servers, &entries, &error));
  return error;
}

}  // namespace

TEST_CASE("server list: one entry, a comma-separated string, or a vector") {
  CHECK(Entries("127.0.0.1:9300") == std::vector<std::string>{"127.0.0.1:9300"});
  CHECK(Entries("a:9300,b:9301") == std::vector<std::string>{"a:9300", "b:9301"});
  CHECK(Entries(" a:9300 , b:9301 ") == std::vector<std::string>{"a:9300", "b:9301"});
  // The vector wins over `server` (which has a default and is ignored then).
  CHECK(Entries("ignored:1", {"x:1", " y:2"}) == std::vector<std::string>{"x:1", "y:2"});
}

TEST_CASE("server list: IPv6 entries keep their colons") {
  CHECK(Entries("[::1]:9300,127.0.0.1:9300") ==
        std::vector<std::string>{"[::1]:9300", "127.0.0.1:9300"});
  std::string host;
  uint16_t port = 0;
  std::string error;
  REQUIRE(SplitHostPort("[fe80::1]:9300", &host, &port, &error));
  CHECK(host == "fe80::1");
  CHECK(port == 9300);
  REQUIRE(SplitHostPort("events.example.com:65535", &host, &port, &error));
  CHECK(host == "events.example.com");
  CHECK(port == 65535);
}

TEST_CASE("server list: mistakes are refused with the entry named") {
  CHECK(Refusal("") == "no server given");
  CHECK(Refusal(" , ") == "no server given");
  CHECK(Refusal("a:1,,b:2") == "empty entry in the server list 'a:1,,b:2'");
  CHECK(Refusal("a:1,") == "empty entry in the server list 'a:1,'");
  CHECK(Refusal("a:1,b") == "server must be host:port, got 'b'");
  CHECK(Refusal("a:1,b:0") == "bad port in 'b:0'");
  CHECK(Refusal("a:65536") == "bad port in 'a:65536'");
  CHECK(Refusal("a:12x") == "bad port in 'a:12x'");
  CHECK(Refusal("[::1:9300") == "server must be host:port or [v6]:port, got '[::1:9300'");
  CHECK(Refusal("a:1,b:2,a:1") == "server 'a:1' is listed twice");
  CHECK(Refusal("", {"a:1", ""}) == "empty entry in the server list");
  CHECK(Refusal("", {"a:1,b:2"}) == "server list entry 'a:1,b:2' contains a comma");
}
