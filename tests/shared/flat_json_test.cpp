// The fast path for simple acks (shared/flat_json.h) against the general
// parser: whatever the fast path accepts, the general parser must read the
// same way; everything else falls through to the general parser anyway.
#include "shared/flat_json.h"

#include <doctest/doctest.h>

#include <random>
#include <string>

#include "shared/messages.h"

using sp::proto::ClientAck;
using sp::proto::FlatObject;
using sp::proto::ParseClientMessage;
using sp::proto::ParseClientMessageTree;

namespace {

// `text` with up to two bytes replaced, inserted or deleted (never empty).
std::string Mutated(std::mt19937& rng, std::string text, const std::string& bytes) {
  int edits = static_cast<int>(rng() % 3);
  for (int e = 0; e < edits; ++e) {
    size_t at = rng() % text.size();
    char c = bytes[rng() % bytes.size()];
    switch (rng() % 3) {
      case 0:
        text[at] = c;
        break;
      case 1:
        text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), c);
        break;
      default:
        text.erase(at, 1);
    }
    if (text.empty()) text.push_back('{');
  }
  return text;
}

}  // namespace

TEST_CASE("flat JSON: simple objects are scanned, anything else is not simple") {
  FlatObject o;
  REQUIRE(o.Scan(R"( { "type" : "ack", "ts":-12 ,"eventId":"1-2"} )"));
  CHECK(o.Size() == 3);
  CHECK(o.Find("type")->text == "ack");
  CHECK(o.Find("ts")->integer == -12);
  CHECK(o.Find("ts")->is_integer());
  REQUIRE(o.Scan(R"({"event":{"type":"t","data":"d"},"x":{}})"));
  const FlatObject::Member* event = o.Find("event");
  REQUIRE(event->kind == FlatObject::Kind::Object);
  REQUIRE(event->field_count == 2);
  CHECK(o.Fields(*event)[1].name == "data");
  CHECK(o.Fields(*event)[1].value == "d");
  CHECK(o.Find("x")->field_count == 0);
  CHECK(o.Find("nope") == nullptr);
  CHECK(o.Scan("{}"));
  for (const char* not_simple : {R"({"a":"x\"y"})",
                                 R"({"a":1.5})",
                                 R"({"a":1e3})",
                                 R"({"a":true})",
                                 R"({"a":null})",
                                 R"({"a":{"b":{}}})",
                                 R"({"a":{"b":1}})",
                                 R"({"a":{"b":"1","b":"2"}})",
                                 R"({"a":[]})",
                                 R"({"a":01})",
                                 R"({"a":-0})",
                                 R"({"a":"é"})",
                                 R"({"a":1,"a":2})",
                                 R"({"a":1,})",
                                 R"({"a":1} x)",
                                 R"({"a":1234567890123456789})",
                                 R"({"a":"b\u0041"})",
                                 "{\"a\":\"\t\"}",
                                 R"(["a"])",
                                 "",
                                 "{"}) {
    CAPTURE(not_simple);
    CHECK_FALSE(o.Scan(not_simple));
  }
}

TEST_CASE("simple acks: the fast path and the general parser always agree") {
  std::mt19937 rng(5);
  const std::string seeds[] = {
      R"({"type":"ack","ts":1700000000000,"eventId":"1700000000000-0"})",
      R"({ "eventId" : "5-7" , "type" : "ack" , "ts" : 0 , "extra" : "x" })",
      R"({"type":"ack","ts":-1,"eventId":"18446744073709551615-18446744073709551615"})",
      R"({"type":"ping","ts":3})",
  };
  const std::string bytes = "{}[]\":,-0123456789 \t\n\\eE.tnfaukcIdvy\x01\x80";
  size_t fast_taken = 0;
  for (int round = 0; round < 100000; ++round) {
    std::string text = Mutated(rng, seeds[rng() % std::size(seeds)], bytes);
    auto fast = ParseClientMessage(text);
    auto tree = ParseClientMessageTree(text);
    REQUIRE(fast.index() == tree.index());
    if (fast.index() == 0) {
      CAPTURE(text);
      CHECK(std::get<0>(fast) == std::get<0>(tree));
      FlatObject o;
      if (o.Scan(text) && std::holds_alternative<ClientAck>(std::get<0>(fast))) ++fast_taken;
    } else {
      CHECK(std::get<1>(fast).ToString() == std::get<1>(tree).ToString());
    }
  }
  CHECK(fast_taken > 10000);  // the fast path was really exercised
}

TEST_CASE("simple server-events: the fast path and the general parser always agree") {
  std::mt19937 rng(9);
  const std::string seeds[] = {
      R"({"type":"server-event","ts":1700000000000,"eventId":"1-0","attempt":1,)"
      R"("event":{"type":"greeting","data":"hello"}})",
      R"({ "event" : { "data" : "x" , "type" : "t" , "n" : "1" } , "eventId" : "5-7" ,)"
      R"( "type" : "server-event" , "ts" : 3 })",
      R"({"type":"server-event","ts":1,"eventId":"2-2","attempt":7,"event":{"type":"a"},"z":1})",
      R"({"type":"ack","ts":3,"id":"c-1"})",
  };
  const std::string bytes = "{}[]\":,-0123456789 \t\n\\eE.tnfaukcIdvy\x01\x80";
  size_t fast_taken = 0;
  for (int round = 0; round < 100000; ++round) {
    std::string text = Mutated(rng, seeds[rng() % std::size(seeds)], bytes);
    auto fast = sp::proto::ParseServerMessage(text);
    auto tree = sp::proto::ParseServerMessageTree(text);
    REQUIRE(fast.index() == tree.index());
    if (fast.index() == 0) {
      CAPTURE(text);
      CHECK(std::get<0>(fast) == std::get<0>(tree));
      FlatObject o;
      if (o.Scan(text) && std::holds_alternative<sp::proto::ServerEvent>(std::get<0>(fast)))
        ++fast_taken;
    } else {
      CHECK(std::get<1>(fast).ToString() == std::get<1>(tree).ToString());
    }
  }
  CHECK(fast_taken > 10000);
}
