#include "shared/client_id.h"

#include <doctest/doctest.h>

#include <string>
#include <string_view>

using sp::proto::IsValidClientId;

namespace {

struct Case {
  std::string id;
  bool valid;
  std::string_view why;
};

}  // namespace

TEST_CASE("client ids: 1-64 characters of A-Z a-z 0-9 _ . -") {
  using namespace std::string_literals;
  const Case cases[] = {
      {"a", true, "one character"},
      {"dev-42", true, "letters, digits, dash"},
      {"Sensor_7.eu-west", true, "every allowed punctuation"},
      {"0123456789", true, "digits only"},
      {"...", true, "dots only"},
      {std::string(64, 'x'), true, "exactly 64"},
      {"", false, "empty"},
      {std::string(65, 'x'), false, "65 is too long"},
      {"a{b", false, "open brace would split a hash tag"},
      {"a}b", false, "close brace would split a hash tag"},
      {"{dev}", false, "a hash tag of its own"},
      {"sp:dev", false, "colon separates key parts"},
      {"dev 1", false, "space"},
      {"dev\t1", false, "tab"},
      {"dev/1", false, "slash"},
      {"dev*", false, "glob character"},
      {"dev@host", false, "at sign"},
      {"d\xc3\xa9v", false, "non-ASCII (UTF-8 e-acute)"},
      {"dev\n", false, "trailing newline"},
      {"dev\0x"s, false, "embedded NUL"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.why);
    CHECK(IsValidClientId(c.id) == c.valid);
  }
}
