// The client library stays free of Redis: a program that uses only it
// (examples/listen_example.cpp) must not load hiredis. Only the CLI's admin
// commands and the simulator may talk to Redis.
#include <doctest/doctest.h>

#include "tests/support/process.h"

using namespace sp::testkit;

TEST_CASE("a program built on the client library alone does not load hiredis") {
  std::string libs;
  REQUIRE(Run({"ldd", BinDir() + "/sealpost-example-listen"}, &libs) == 0);
  CHECK(libs.find("libuv") != std::string::npos);  // ldd really listed its libraries
  CHECK(libs.find("hiredis") == std::string::npos);
}
