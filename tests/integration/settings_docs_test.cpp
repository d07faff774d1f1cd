// Every setting the server accepts is documented where operators look for it:
// .env.example (with its default) and docs/OPERATIONS.md.
#include <doctest/doctest.h>

#include <regex>
#include <set>

#include "tests/support/process.h"

using namespace sp::testkit;

TEST_CASE("every SEALPOST_* variable of --help is in .env.example and docs/OPERATIONS.md") {
  std::string help;
  REQUIRE(Run({BinDir() + "/sealpost-server", "--help"}, &help) == 0);
  std::set<std::string> names;
  std::regex env(R"(Env:(SEALPOST_[A-Z0-9_]+))");
  for (auto it = std::sregex_iterator(help.begin(), help.end(), env); it != std::sregex_iterator();
       ++it)
    names.insert((*it)[1]);
  REQUIRE(names.size() >= 30);
  std::string env_example = ReadFile(std::string(SEALPOST_SOURCE_DIR) + "/.env.example");
  std::string operations = ReadFile(std::string(SEALPOST_SOURCE_DIR) + "/docs/OPERATIONS.md");
  for (const std::string& name : names) {
    CAPTURE(name);
    if (name != "SEALPOST_ENV_FILE") CHECK(env_example.find(name + "=") != std::string::npos);
    CHECK(operations.find("`" + name) != std::string::npos);
  }
}
