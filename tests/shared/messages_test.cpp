#include "shared/messages.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace proto = sp::proto;
using proto::ParseError;
using Json = nlohmann::ordered_json;

namespace {

enum class Dir { Handshake, Client, Server };

const char* DirName(Dir dir) {
  switch (dir) {
    case Dir::Handshake:
      return "handshake";
    case Dir::Client:
      return "client";
    case Dir::Server:
      return "server";
  }
  return "?";
}

// The error of a failed parse in any direction, or nullopt on success.
std::optional<ParseError> ErrorOf(Dir dir, std::string_view json,
                                  const proto::ParseLimits& limits = {}) {
  auto error = [](const auto& parsed) -> std::optional<ParseError> {
    if (const auto* e = std::get_if<ParseError>(&parsed)) return *e;
    return std::nullopt;
  };
  switch (dir) {
    case Dir::Handshake:
      return error(proto::ParseHandshake(json));
    case Dir::Client:
      return error(proto::ParseClientMessage(json, limits));
    case Dir::Server:
      return error(proto::ParseServerMessage(json));
  }
  return std::nullopt;
}

// Parses `json` as a client message and returns the alternative T.
template <class T>
T ClientAs(std::string_view json, const proto::ParseLimits& limits = {}) {
  auto parsed = proto::ParseClientMessage(json, limits);
  if (const auto* e = std::get_if<ParseError>(&parsed)) FAIL("unexpected error: " << e->ToString());
  auto& msg = std::get<proto::ClientMessage>(parsed);
  REQUIRE(std::holds_alternative<T>(msg));
  return std::get<T>(msg);
}

template <class T>
T ServerAs(std::string_view json) {
  auto parsed = proto::ParseServerMessage(json);
  if (const auto* e = std::get_if<ParseError>(&parsed)) FAIL("unexpected error: " << e->ToString());
  auto& msg = std::get<proto::ServerMessage>(parsed);
  REQUIRE(std::holds_alternative<T>(msg));
  return std::get<T>(msg);
}

proto::Handshake HandshakeOf(std::string_view json) {
  auto parsed = proto::ParseHandshake(json);
  if (const auto* e = std::get_if<ParseError>(&parsed)) FAIL("unexpected error: " << e->ToString());
  return std::get<proto::Handshake>(parsed);
}

void CheckError(Dir dir, std::string_view json, std::string_view field, std::string_view reason) {
  const std::string dir_name = DirName(dir);
  CAPTURE(dir_name);
  CAPTURE(json);
  const std::optional<ParseError> error = ErrorOf(dir, json);
  REQUIRE(error.has_value());
  CHECK(error->field == field);
  CHECK(error->reason == reason);
}

// A valid message of every type, used as the base for the mutation tables.
struct Sample {
  Dir dir;
  const char* json;
};
const Sample kSamples[] = {
    {Dir::Handshake, R"({"type":"handshake","ts":1,"msg":"AAEC","protocol":"Noise_XX"})"},
    {Dir::Client, R"({"type":"ack","ts":1,"eventId":"1700000000000-0"})"},
    {Dir::Client, R"({"type":"client-event","ts":1,"id":"c-1","event":{"type":"t","data":"d"}})"},
    {Dir::Client, R"({"type":"ping","ts":1})"},
    {Dir::Client, R"({"type":"pong","ts":1,"echo":1})"},
    {Dir::Server,
     R"({"type":"welcome","ts":1,"client":"101","node":"n1","session":"s","heartbeatMs":5000,)"
     R"("window":64,"maxFrameBytes":65536})"},
    {Dir::Server,
     R"({"type":"server-event","ts":1,"eventId":"1-0","attempt":1,"event":{"type":"t"}})"},
    {Dir::Server, R"({"type":"ack","ts":1,"id":"c-1"})"},
    {Dir::Server, R"({"type":"error","ts":1,"code":"bad","message":"m","retry":true,"id":"c"})"},
    {Dir::Server, R"({"type":"goaway","ts":1,"reason":"shutdown","reconnectMs":10})"},
    {Dir::Server, R"({"type":"ping","ts":1})"},
    {Dir::Server, R"({"type":"pong","ts":1,"echo":1})"},
};

// `json` with the member at dotted `path` ("event.type") replaced by
// `value`, or removed when `value` is nullopt.
std::string Mutate(const char* json, std::string_view path, const std::optional<Json>& value) {
  Json doc = Json::parse(json);
  Json* parent = &doc;
  std::string_view key = path;
  if (const size_t dot = path.find('.'); dot != std::string_view::npos) {
    parent = &doc[std::string(path.substr(0, dot))];
    key = path.substr(dot + 1);
  }
  if (value) {
    (*parent)[std::string(key)] = *value;
  } else {
    parent->erase(std::string(key));
  }
  return doc.dump();
}

const Sample& SampleOf(Dir dir, std::string_view type) {
  for (const Sample& s : kSamples) {
    if (s.dir == dir && Json::parse(s.json)["type"] == type) return s;
  }
  FAIL("no sample for " << type);
  return kSamples[0];
}

}  // namespace

TEST_CASE("every sample parses") {
  for (const Sample& s : kSamples) {
    CAPTURE(s.json);
    CHECK_FALSE(ErrorOf(s.dir, s.json).has_value());
  }
}

TEST_CASE("round trip of every message type") {
  const proto::EventFields fields = {{"type", "order.created"}, {"data", "{\"x\":1}"}, {"z", ""}};
  SUBCASE("handshake") {
    const proto::Handshake with{"Noise_XX_25519_ChaChaPoly_BLAKE2s", "AAEC+/==", 42};
    CHECK(HandshakeOf(proto::Serialize(with)) == with);
    const proto::Handshake without{"", "Zm9v", -7};
    CHECK(HandshakeOf(proto::Serialize(without)) == without);
  }
  SUBCASE("client") {
    const proto::ClientAck ack{"1700000000000-12", 1};
    CHECK(ClientAs<proto::ClientAck>(proto::Serialize(ack)) == ack);
    const proto::ClientEvent ev{"c-1", "", fields, 2};
    CHECK(ClientAs<proto::ClientEvent>(proto::Serialize(ev)) == ev);
    const proto::ClientEvent direct{"c-2", "102", fields, 2};
    CHECK(ClientAs<proto::ClientEvent>(proto::Serialize(direct)) == direct);
    const proto::ClientEvent group{"c-3", "group:lobby", fields, 2};
    CHECK(ClientAs<proto::ClientEvent>(proto::Serialize(group)) == group);
    const proto::Request request{"c-4", "query", "{\"set\":[\"A\",2]}", 8};
    CHECK(ClientAs<proto::Request>(proto::Serialize(request)) == request);
    const proto::Request bare{"c-5", "time", "null", 9};
    CHECK(ClientAs<proto::Request>(proto::Serialize(bare)) == bare);
    const proto::Ping ping{3};
    CHECK(ClientAs<proto::Ping>(proto::Serialize(ping)) == ping);
    const proto::Pong pong{4, 3};
    CHECK(ClientAs<proto::Pong>(proto::Serialize(pong)) == pong);
  }
  SUBCASE("server") {
    const proto::Welcome welcome{"101", "n1", "sess", 5000, 64, 65536, 5};
    CHECK(ServerAs<proto::Welcome>(proto::Serialize(welcome)) == welcome);
    const proto::ServerEvent ev{"1700000000000-0", 3, fields, 6};
    CHECK(ServerAs<proto::ServerEvent>(proto::Serialize(ev)) == ev);
    const proto::ServerAck ack{"c-1", 7};
    CHECK(ServerAs<proto::ServerAck>(proto::Serialize(ack)) == ack);
    const proto::Error full{"unknown_event", "no such event", true, "c-9", "1-1", 8};
    CHECK(ServerAs<proto::Error>(proto::Serialize(full)) == full);
    const proto::Error bare{"timeout", "", false, "", "", 9};
    CHECK(ServerAs<proto::Error>(proto::Serialize(bare)) == bare);
    const proto::Goaway goaway{"shutdown", 1234, 10};
    CHECK(ServerAs<proto::Goaway>(proto::Serialize(goaway)) == goaway);
    CHECK(ServerAs<proto::Ping>(proto::Serialize(proto::Ping{11})) == proto::Ping{11});
    CHECK(ServerAs<proto::Pong>(proto::Serialize(proto::Pong{12, 11})) == proto::Pong{12, 11});
  }
}

TEST_CASE("serialised form: compact, type first, camelCase keys") {
  CHECK(
      proto::Serialize(proto::ServerEvent{"1-0", 2, {{"type", "t"}, {"data", "d"}}, 5}) ==
      R"({"type":"server-event","ts":5,"eventId":"1-0","attempt":2,"event":{"type":"t","data":"d"}})");
  CHECK(proto::Serialize(proto::Welcome{"101", "n1", "s", 5000, 64, 65536, 1}) ==
        R"({"type":"welcome","ts":1,"client":"101","node":"n1","session":"s","heartbeatMs":5000,)"
        R"("window":64,"maxFrameBytes":65536})");
  CHECK(proto::Serialize(proto::Goaway{"shutdown", 1234, 1}) ==
        R"({"type":"goaway","ts":1,"reason":"shutdown","reconnectMs":1234})");
  CHECK(proto::Serialize(proto::ClientAck{"1-2", -1}) ==
        R"({"type":"ack","ts":-1,"eventId":"1-2"})");
  CHECK(proto::Serialize(proto::Ping{std::numeric_limits<int64_t>::min()}) ==
        R"({"type":"ping","ts":-9223372036854775808})");
}

TEST_CASE("optional strings are omitted when empty") {
  CHECK(proto::Serialize(proto::Error{"timeout", "slow", false, "", "", 1}) ==
        R"({"type":"error","ts":1,"code":"timeout","message":"slow","retry":false})");
  CHECK(
      proto::Serialize(proto::Error{"x", "", true, "c-1", "1-0", 1}) ==
      R"({"type":"error","ts":1,"code":"x","message":"","retry":true,"id":"c-1","eventId":"1-0"})");
  CHECK(proto::Serialize(proto::Handshake{"", "AA==", 1}) ==
        R"({"type":"handshake","ts":1,"msg":"AA=="})");
  CHECK(proto::Serialize(proto::Handshake{"P", "AA==", 1}) ==
        R"({"type":"handshake","ts":1,"msg":"AA==","protocol":"P"})");
}

TEST_CASE("awkward strings are escaped and never produce a 0x00 byte") {
  const std::string nasty = std::string("a\0b\"c\\d\n\t\x01\x1f\x7f/", 14) + "é漢😀";
  const proto::ServerEvent ev{"1-0", 1, {{"type", nasty}, {nasty, nasty}}, 1};
  const std::string out = proto::Serialize(ev);
  CHECK(out.find('\0') == std::string::npos);
  CHECK(out.find("\\u0000") != std::string::npos);
  CHECK(ServerAs<proto::ServerEvent>(out) == ev);
}

TEST_CASE("invalid UTF-8 is replaced, not thrown, and the output parses") {
  const std::vector<std::string> bad = {
      "\xff", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "ab\xe2\x82", "\x80x", "\xf0\x9f\x98",
  };
  for (const std::string& s : bad) {
    CAPTURE(s);
    const std::string out = proto::Serialize(proto::ServerAck{s, 1});
    const auto ack = ServerAs<proto::ServerAck>(out);
    CHECK(ack.id.find("\xEF\xBF\xBD") != std::string::npos);
  }
}

TEST_CASE("event field order is preserved both ways") {
  const char* json =
      R"({"type":"client-event","ts":1,"id":"c","event":{"zeta":"1","type":"t","alpha":"2","mid":"3"}})";
  const auto ev = ClientAs<proto::ClientEvent>(json);
  const proto::EventFields expected = {{"zeta", "1"}, {"type", "t"}, {"alpha", "2"}, {"mid", "3"}};
  CHECK(ev.event == expected);
  CHECK(proto::Serialize(ev) == json);
}

TEST_CASE("a missing required field is named") {
  struct Case {
    Dir dir;
    const char* type;
    const char* field;
  };
  const Case cases[] = {
      {Dir::Handshake, "handshake", "type"},
      {Dir::Handshake, "handshake", "ts"},
      {Dir::Handshake, "handshake", "msg"},
      {Dir::Client, "ack", "type"},
      {Dir::Client, "ack", "ts"},
      {Dir::Client, "ack", "eventId"},
      {Dir::Client, "client-event", "ts"},
      {Dir::Client, "client-event", "id"},
      {Dir::Client, "client-event", "event"},
      {Dir::Client, "client-event", "event.type"},
      {Dir::Client, "ping", "ts"},
      {Dir::Client, "pong", "ts"},
      {Dir::Server, "welcome", "ts"},
      {Dir::Server, "welcome", "client"},
      {Dir::Server, "welcome", "node"},
      {Dir::Server, "welcome", "session"},
      {Dir::Server, "welcome", "heartbeatMs"},
      {Dir::Server, "welcome", "window"},
      {Dir::Server, "welcome", "maxFrameBytes"},
      {Dir::Server, "server-event", "eventId"},
      {Dir::Server, "server-event", "event"},
      {Dir::Server, "server-event", "event.type"},
      {Dir::Server, "ack", "id"},
      {Dir::Server, "error", "code"},
      {Dir::Server, "error", "message"},
      {Dir::Server, "goaway", "reason"},
      {Dir::Server, "ping", "type"},
      {Dir::Server, "pong", "ts"},
  };
  for (const Case& tc : cases) {
    CheckError(tc.dir, Mutate(SampleOf(tc.dir, tc.type).json, tc.field, std::nullopt), tc.field,
               "missing");
  }
}

TEST_CASE("optional fields default when absent or null") {
  CHECK(ClientAs<proto::Pong>(R"({"type":"pong","ts":1})").echo == 0);
  CHECK(ClientAs<proto::Pong>(R"({"type":"pong","ts":1,"echo":null})").echo == 0);
  const auto ev = ServerAs<proto::ServerEvent>(
      R"({"type":"server-event","ts":1,"eventId":"1-0","event":{"type":"t"}})");
  CHECK(ev.attempt == 1);
  const auto err =
      ServerAs<proto::Error>(R"({"type":"error","ts":1,"code":"c","message":"m","id":null})");
  CHECK(err == proto::Error{"c", "m", false, "", "", 1});
  CHECK(ServerAs<proto::Goaway>(R"({"type":"goaway","ts":1,"reason":"r"})").reconnect_ms == 0);
  CHECK(HandshakeOf(R"({"type":"handshake","ts":1,"msg":""})").protocol.empty());
}

TEST_CASE("unknown extra fields are ignored") {
  const auto ack = ClientAs<proto::ClientAck>(
      R"({"future":{"nested":[1,2,{"x":null}]},"type":"ack","eventId":"5-6","ts":9,"more":true})");
  CHECK(ack == proto::ClientAck{"5-6", 9});
}

TEST_CASE("a field of the wrong type is named") {
  struct Case {
    Dir dir;
    const char* type;
    const char* field;
    Json value;
    const char* reason;
  };
  const Case cases[] = {
      {Dir::Client, "ping", "type", 5, "not a string"},
      {Dir::Client, "ping", "type", nullptr, "not a string"},
      {Dir::Client, "ping", "ts", "5", "not an integer"},
      {Dir::Client, "ping", "ts", 1.5, "not an integer"},
      {Dir::Client, "ping", "ts", nullptr, "not an integer"},
      {Dir::Client, "ping", "ts", Json::array(), "not an integer"},
      {Dir::Client, "ping", "ts", uint64_t{1} << 63, "not an integer"},
      {Dir::Handshake, "handshake", "msg", 1, "not a string"},
      {Dir::Handshake, "handshake", "protocol", false, "not a string"},
      {Dir::Client, "ack", "eventId", 17, "not a string"},
      {Dir::Client, "client-event", "id", Json::object(), "not a string"},
      {Dir::Client, "client-event", "event", "t", "not an object"},
      {Dir::Client, "client-event", "event", Json::array({"type", "t"}), "not an object"},
      {Dir::Client, "client-event", "event.type", 3, "not a string"},
      {Dir::Client, "client-event", "event.data", nullptr, "not a string"},
      {Dir::Client, "client-event", "event.data", Json::object(), "not a string"},
      {Dir::Client, "pong", "echo", "1", "not an integer"},
      {Dir::Server, "welcome", "client", 101, "not a string"},
      {Dir::Server, "welcome", "heartbeatMs", "5000", "not an integer"},
      {Dir::Server, "welcome", "window", 64.0, "not an integer"},
      {Dir::Server, "welcome", "maxFrameBytes", true, "not an integer"},
      {Dir::Server, "server-event", "attempt", "1", "not an integer"},
      {Dir::Server, "server-event", "event", nullptr, "not an object"},
      {Dir::Server, "ack", "id", 1, "not a string"},
      {Dir::Server, "error", "retry", "true", "not a boolean"},
      {Dir::Server, "error", "retry", 1, "not a boolean"},
      {Dir::Server, "error", "eventId", 1, "not a string"},
      {Dir::Server, "goaway", "reconnectMs", -0.5, "not an integer"},
  };
  for (const Case& tc : cases) {
    CheckError(tc.dir, Mutate(SampleOf(tc.dir, tc.type).json, tc.field, tc.value), tc.field,
               tc.reason);
  }
}

TEST_CASE("ts accepts the whole int64 range") {
  CHECK(ClientAs<proto::Ping>(R"({"type":"ping","ts":9223372036854775807})").ts ==
        std::numeric_limits<int64_t>::max());
  CHECK(ClientAs<proto::Ping>(R"({"type":"ping","ts":-9223372036854775808})").ts ==
        std::numeric_limits<int64_t>::min());
  CHECK(ClientAs<proto::Ping>(R"({"type":"ping","ts":0})").ts == 0);
  CheckError(Dir::Client, R"({"type":"ping","ts":9223372036854775808})", "ts", "not an integer");
  CheckError(Dir::Client, R"({"type":"ping","ts":1e3})", "ts", "not an integer");
}

TEST_CASE("eventId must look like a stream id") {
  const char* bad[] = {"",
                       "abc",
                       "1",
                       "1-",
                       "-1",
                       "1-2-3",
                       "1_2",
                       " 1-2",
                       "1-2 ",
                       "+1-2",
                       "123456789012345678901-0"};
  for (const char* id : bad) {
    const std::string ack = Json{{"type", "ack"}, {"ts", 1}, {"eventId", id}}.dump();
    CheckError(Dir::Client, ack, "eventId", "not a stream id");
    const std::string ev =
        Json{{"type", "server-event"}, {"ts", 1}, {"eventId", id}, {"event", {{"type", "t"}}}}
            .dump();
    CheckError(Dir::Server, ev, "eventId", "not a stream id");
  }
  CHECK(ClientAs<proto::ClientAck>(
            R"({"type":"ack","ts":1,"eventId":"18446744073709551615-18446744073709551615"})")
            .event_id == "18446744073709551615-18446744073709551615");
}

TEST_CASE("type errors: unknown, wrong direction, truncated echo") {
  CheckError(Dir::Client, R"({"type":"bogus","ts":1})", "type", "unknown type 'bogus'");
  CheckError(Dir::Client, R"({"type":"","ts":1})", "type", "unknown type ''");
  // Server-only and handshake types are unknown to the client parser, and so on.
  for (const char* t : {"welcome", "server-event", "error", "goaway", "handshake"}) {
    CheckError(Dir::Client, Mutate(R"({"type":"x","ts":1})", "type", t), "type",
               std::string("unknown type '") + t + "'");
  }
  for (const char* t : {"client-event", "handshake"}) {
    CheckError(Dir::Server, Mutate(R"({"type":"x","ts":1})", "type", t), "type",
               std::string("unknown type '") + t + "'");
  }
  CheckError(Dir::Handshake, R"({"type":"ping","ts":1})", "type", "unknown type 'ping'");
  // "ack" is valid both ways with different fields.
  CheckError(Dir::Client, R"({"type":"ack","ts":1,"id":"c-1"})", "eventId", "missing");
  CheckError(Dir::Server, R"({"type":"ack","ts":1,"eventId":"1-0"})", "id", "missing");

  const std::string long_type(1000, 'x');
  const auto error = ErrorOf(Dir::Server, Mutate(R"({"type":"x","ts":1})", "type", long_type));
  REQUIRE(error.has_value());
  CHECK(error->reason.size() < 100);
  CHECK(error->reason.rfind("unknown type 'xxxx", 0) == 0);
}

TEST_CASE("invalid JSON and non-objects") {
  for (Dir dir : {Dir::Handshake, Dir::Client, Dir::Server}) {
    for (const char* text : {"", " ", "{", R"({"type":"ping","ts":1)", R"({"type":"ping","ts":1}x)",
                             "{'type':'ping'}", "\xff", R"({"type":"ping","ts":01})"}) {
      CheckError(dir, text, "", "invalid JSON");
    }
    for (const char* text :
         {"[]", "5", "\"ping\"", "null", "true", R"([{"type":"ping","ts":1}])"}) {
      CheckError(dir, text, "", "not an object");
    }
  }
}

TEST_CASE("client-event limits") {
  proto::ParseLimits limits;
  limits.max_event_fields = 4;
  limits.max_id_bytes = 8;
  auto event_with = [](const std::string& id, size_t fields) {
    Json ev = Json::object();
    ev["type"] = "t";
    // Appended, not "f" + to_string(i): GCC 12 at -O2 and above reports a
    // false -Werror=restrict in the inlined operator+ (GCC bug 105329).
    for (size_t i = 1; i < fields; ++i) ev[std::string("f").append(std::to_string(i))] = "v";
    return Json{{"type", "client-event"}, {"ts", 1}, {"id", id}, {"event", ev}}.dump();
  };
  CHECK(ClientAs<proto::ClientEvent>(event_with("12345678", 4), limits).event.size() == 4);
  auto error = ErrorOf(Dir::Client, event_with("c", 5), limits);
  REQUIRE(error);
  CHECK(*error == ParseError{"event", "too many fields"});
  error = ErrorOf(Dir::Client, event_with("123456789", 1), limits);
  REQUIRE(error);
  CHECK(*error == ParseError{"id", "too long"});
  CheckError(Dir::Client, event_with("", 1), "id", "empty");
  CheckError(Dir::Client, event_with("c", proto::ParseLimits{}.max_event_fields + 1), "event",
             "too many fields");
  CheckError(Dir::Client, R"({"type":"client-event","ts":1,"id":"c","event":{"type":"t","":"v"}})",
             "event", "empty field name");
  CheckError(Dir::Client, R"({"type":"client-event","ts":1,"id":"c","event":{"type":""}})",
             "event.type", "empty");
  CheckError(Dir::Client, R"({"type":"client-event","ts":1,"id":"c","event":{}})", "event.type",
             "missing");
}

TEST_CASE("a client-event value longer than max_value_bytes is refused") {
  proto::ParseLimits limits;
  limits.max_value_bytes = 8;
  auto with_data = [](const std::string& data) {
    return Json{{"type", "client-event"},
                {"ts", 1},
                {"id", "c"},
                {"event", {{"type", "t"}, {"data", data}}}}
        .dump();
  };
  CHECK(ClientAs<proto::ClientEvent>(with_data("12345678"), limits).event.size() == 2);
  auto error = ErrorOf(Dir::Client, with_data("123456789"), limits);
  REQUIRE(error);
  CHECK(*error == ParseError{"event.data", "too long"});
}

TEST_CASE("a client-event may not carry the fields the server writes") {
  for (const char* name : {"client", "id", "ts", "from"}) {
    CAPTURE(name);
    Json ev = {{"type", "say"}, {name, "victim"}};
    std::string json = Json{{"type", "client-event"}, {"ts", 1}, {"id", "c"}, {"event", ev}}.dump();
    CheckError(Dir::Client, json, std::string("event.") + name, "reserved for the server");
  }
  // Events from the server carry whatever the producer wrote.
  Json ev = {{"type", "say"}, {"client", "x"}, {"from", "y"}};
  auto parsed = proto::ParseServerMessage(
      Json{{"type", "server-event"}, {"ts", 1}, {"eventId", "1-0"}, {"attempt", 1}, {"event", ev}}
          .dump());
  CHECK(std::holds_alternative<proto::ServerMessage>(parsed));
}

TEST_CASE("ParseError::ToString") {
  CHECK(ParseError{"event.type", "missing"}.ToString() == "field 'event.type': missing");
  CHECK(ParseError{"", "invalid JSON"}.ToString() == "invalid JSON");
}

TEST_CASE("NowMs is the wall clock in milliseconds") {
  const int64_t now = proto::NowMs();
  CHECK(now > 1600000000000);  // after 2020
  CHECK(now < 4100000000000);  // before 2100
  CHECK(proto::NowMs() >= now);
}

TEST_CASE("a client-event's target is a client id or group:<name>") {
  auto parse = [](std::string_view to) {
    return proto::ParseClientMessage(
        std::string(R"({"type":"client-event","ts":1,"id":"c-1","to":")") + std::string(to) +
        R"(","event":{"type":"t"}})");
  };
  CHECK(std::holds_alternative<proto::ClientMessage>(parse("102")));
  CHECK(std::holds_alternative<proto::ClientMessage>(parse("group:lobby")));
  for (std::string_view bad : {"group:", "a b", "group:x:y", "{101}", "group:lobby!"}) {
    CAPTURE(bad);
    auto parsed = parse(bad);
    REQUIRE(std::holds_alternative<proto::ParseError>(parsed));
    CHECK(std::get<proto::ParseError>(parsed).field == "to");
  }
}

TEST_CASE("a client may not write the server's routing fields") {
  for (std::string_view name : {"from", "to"}) {
    CAPTURE(name);
    auto parsed = proto::ParseClientMessage(
        std::string(R"({"type":"client-event","ts":1,"id":"c","event":{"type":"t",")") +
        std::string(name) + R"(":"101"}})");
    REQUIRE(std::holds_alternative<proto::ParseError>(parsed));
    CHECK(std::get<proto::ParseError>(parsed).reason == "reserved for the server");
  }
}

TEST_CASE("a request names a valid method and keeps its params as compact JSON") {
  auto ok = proto::ParseClientMessage(
      R"({"type":"request","ts":1,"id":"r-1","method":"echo","params": { "a" : [1, "x"] }})");
  REQUIRE(std::holds_alternative<proto::ClientMessage>(ok));
  const auto& request = std::get<proto::Request>(std::get<proto::ClientMessage>(ok));
  CHECK(request.params == R"({"a":[1,"x"]})");
  auto absent =
      proto::ParseClientMessage(R"({"type":"request","ts":1,"id":"r-2","method":"time"})");
  REQUIRE(std::holds_alternative<proto::ClientMessage>(absent));
  CHECK(std::get<proto::Request>(std::get<proto::ClientMessage>(absent)).params == "null");
  auto bad = proto::ParseClientMessage(R"({"type":"request","ts":1,"id":"r-3","method":"a:b"})");
  REQUIRE(std::holds_alternative<proto::ParseError>(bad));
  CHECK(std::get<proto::ParseError>(bad).field == "method");
  proto::ParseLimits limits;
  limits.max_value_bytes = 8;
  auto big = proto::ParseClientMessage(
      R"({"type":"request","ts":1,"id":"r-4","method":"m","params":"0123456789"})", limits);
  REQUIRE(std::holds_alternative<proto::ParseError>(big));
  CHECK(std::get<proto::ParseError>(big).field == "params");
}
