// Hostile input: nothing may throw or crash (run under ASan/UBSan), and
// whatever parses must serialise back to something that parses again.
#include "shared/messages.h"

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <string_view>
#include <variant>

namespace proto = sp::proto;

namespace {

// Parses `text` in every direction. Returns how many directions accepted it.
int ParseAll(std::string_view text) {
  int accepted = 0;
  auto handshake = proto::ParseHandshake(text);
  if (const auto* m = std::get_if<proto::Handshake>(&handshake)) {
    ++accepted;
    CHECK(std::holds_alternative<proto::Handshake>(proto::ParseHandshake(proto::Serialize(*m))));
  }
  auto client = proto::ParseClientMessage(text);
  if (const auto* m = std::get_if<proto::ClientMessage>(&client)) {
    ++accepted;
    const std::string again = std::visit([](const auto& v) { return proto::Serialize(v); }, *m);
    const auto reparsed = proto::ParseClientMessage(again);
    REQUIRE(std::holds_alternative<proto::ClientMessage>(reparsed));
    CHECK(std::get<proto::ClientMessage>(reparsed) == *m);
  }
  auto server = proto::ParseServerMessage(text);
  if (const auto* m = std::get_if<proto::ServerMessage>(&server)) {
    ++accepted;
    const std::string again = std::visit([](const auto& v) { return proto::Serialize(v); }, *m);
    const auto reparsed = proto::ParseServerMessage(again);
    REQUIRE(std::holds_alternative<proto::ServerMessage>(reparsed));
    CHECK(std::get<proto::ServerMessage>(reparsed) == *m);
  }
  return accepted;
}

proto::ParseError ClientError(std::string_view text) {
  auto parsed = proto::ParseClientMessage(text);
  REQUIRE(std::holds_alternative<proto::ParseError>(parsed));
  return std::get<proto::ParseError>(parsed);
}

const char* const kValid[] = {
    R"({"type":"handshake","ts":1,"msg":"AAEC","protocol":"Noise_XX"})",
    R"({"type":"ack","ts":1,"eventId":"1700000000000-0"})",
    R"({"type":"client-event","ts":1,"id":"c-1","event":{"type":"t","data":"d\u00e9\n"}})",
    R"({"type":"pong","ts":1,"echo":1})",
    R"({"type":"welcome","ts":1,"client":"101","node":"n1","session":"s","heartbeatMs":5000,"window":64,"maxFrameBytes":65536})",
    R"({"type":"server-event","ts":1,"eventId":"1-0","attempt":1,"event":{"type":"t","a":"b"}})",
    R"({"type":"error","ts":1,"code":"bad","message":"m","retry":true,"id":"c","eventId":"1-1"})",
    R"({"type":"goaway","ts":1,"reason":"shutdown","reconnectMs":10})",
};

}  // namespace

TEST_CASE("random byte strings never throw") {
  std::mt19937 rng(20240501);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<size_t> length(0, 200);
  // Mostly JSON punctuation so the parser gets past the first byte often.
  const std::string_view alphabet = "{}[]\":,0123456789-.eE truefalsnl\\u";
  std::uniform_int_distribution<size_t> pick(0, alphabet.size() - 1);
  for (int i = 0; i < 4000; ++i) {
    std::string text(length(rng), '\0');
    const bool punctuation = i % 2 == 0;
    for (char& c : text) c = punctuation ? alphabet[pick(rng)] : static_cast<char>(byte(rng));
    ParseAll(text);
  }
}

TEST_CASE("mutated valid messages never throw and re-serialise cleanly") {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> byte(0, 255);
  int accepted = 0;
  for (const char* valid : kValid) {
    const std::string base = valid;
    CHECK(ParseAll(base) >= 1);
    std::uniform_int_distribution<size_t> pos(0, base.size() - 1);
    for (int i = 0; i < 500; ++i) {
      std::string text = base;
      const int edits = 1 + i % 3;
      for (int e = 0; e < edits; ++e) text[pos(rng)] = static_cast<char>(byte(rng));
      accepted += ParseAll(text);
    }
  }
  // Some single-byte edits (inside string values) still parse; the round
  // trip of those is checked inside ParseAll.
  CHECK(accepted > 0);
}

TEST_CASE("deeply nested input is rejected without recursion") {
  for (const std::string& open : {std::string("["), std::string("{\"a\":")}) {
    std::string nested;
    nested.reserve(100000 * open.size());
    for (int i = 0; i < 100000; ++i) nested += open;
    CHECK(ClientError(nested) == proto::ParseError{"", "too deeply nested"});
    CHECK(ParseAll(nested) == 0);
  }
  // Brackets inside strings are not nesting.
  const std::string brackets(1000, '[');
  CHECK(ParseAll(R"({"type":"ping","ts":1,"x":")" + brackets + R"("})") == 2);
  // An escaped quote does not end the string early.
  CHECK(ParseAll(R"({"type":"ping","ts":1,"x":"\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["})") ==
        2);
}

TEST_CASE("nesting up to the limit is accepted in unknown fields") {
  auto nested = [](int depth) {
    return R"({"type":"ping","ts":1,"x":)" + std::string(depth - 1, '[') +
           std::string(depth - 1, ']') + "}";
  };
  CHECK(ParseAll(nested(32)) == 2);
  CHECK(ClientError(nested(33)) == proto::ParseError{"", "too deeply nested"});
}

TEST_CASE("large values parse") {
  const std::string big(1 << 20, 'x');
  proto::ServerEvent ev{"1-0", 1, {{"type", "t"}, {"data", big}}, 1};
  const auto parsed = proto::ParseServerMessage(proto::Serialize(ev));
  REQUIRE(std::holds_alternative<proto::ServerMessage>(parsed));
  CHECK(std::get<proto::ServerEvent>(std::get<proto::ServerMessage>(parsed)) == ev);
}
