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

TEST_CASE("flat JSON: simple objects are scanned, anything else is not simple") {
  FlatObject o;
  REQUIRE(o.Scan(R"( { "type" : "ack", "ts":-12 ,"eventId":"1-2"} )"));
  CHECK(o.Size() == 3);
  CHECK(o.Find("type")->text == "ack");
  CHECK(o.Find("ts")->integer == -12);
  CHECK_FALSE(o.Find("ts")->is_string);
  CHECK(o.Find("nope") == nullptr);
  CHECK(o.Scan("{}"));
  for (const char* not_simple :
       {R"({"a":"x\"y"})", R"({"a":1.5})", R"({"a":1e3})", R"({"a":true})", R"({"a":null})",
        R"({"a":{}})", R"({"a":[]})", R"({"a":01})", R"({"a":-0})", R"({"a":"é"})",
        R"({"a":1,"a":2})", R"({"a":1,})", R"({"a":1} x)", R"({"a":1234567890123456789})",
        R"({"a":"b\u0041"})", "{\"a\":\"\t\"}", R"(["a"])", "", "{"}) {
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
    std::string text = seeds[rng() % std::size(seeds)];
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
