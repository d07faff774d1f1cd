// The operator endpoint's request parser: strict, pure, fed in pieces.
#include "server/http_request.h"

#include <doctest/doctest.h>

#include <string>

using sp::server::HeadParse;
using sp::server::HttpRequest;
using sp::server::ParseRequestHead;

namespace {
constexpr size_t kMax = 8192;
}

TEST_CASE("a GET is complete at the blank line, whichever way it arrives") {
  const std::string request =
      "GET /metrics?x=1 HTTP/1.1\r\nHost: 127.0.0.1:9301\r\nUser-Agent: probe\r\n\r\n";
  for (size_t cut = 0; cut < request.size(); ++cut) {
    HttpRequest out;
    CAPTURE(cut);
    CHECK(ParseRequestHead(std::string_view(request).substr(0, cut), kMax, &out) ==
          HeadParse::Incomplete);
  }
  HttpRequest out;
  REQUIRE(ParseRequestHead(request, kMax, &out) == HeadParse::Complete);
  CHECK(out.method == "GET");
  CHECK(out.path == "/metrics");  // the query string is dropped
}

TEST_CASE("requests that are not HTTP/1.x heads are malformed") {
  const char* bad[] = {
      "get / HTTP/1.1\r\n\r\n",          // lower-case method
      "GET / HTTP/2\r\n\r\n",            // unknown version
      "GET  / HTTP/1.1\r\n\r\n",         // empty target
      "GET http://x/ HTTP/1.1\r\n\r\n",  // absolute form: not for us
      "GET / HTTP/1.1\r\nNo colon\r\n\r\n",
      "GET / HTTP/1.1\r\n: empty name\r\n\r\n",
      "GET / HTTP/1.1\r\nX: bare\nLF\r\n\r\n",
      "GET /a\tb HTTP/1.1\r\n\r\n",
      "VERYVERYLONGMETHODNAME / HTTP/1.1\r\n\r\n",
  };
  for (const char* text : bad) {
    CAPTURE(text);
    HttpRequest out;
    CHECK(ParseRequestHead(text, kMax, &out) == HeadParse::Malformed);
  }
}

TEST_CASE("what cannot become a request is refused before the blank line") {
  HttpRequest out;
  CHECK(ParseRequestHead(std::string("\x16\x03\x01\x02\x00", 5), kMax, &out) ==
        HeadParse::Malformed);
  CHECK(ParseRequestHead("BAD LINE\r\nHost: x", kMax, &out) == HeadParse::Malformed);
}

TEST_CASE("a head longer than the limit is malformed, complete or not") {
  HttpRequest out;
  std::string head = "GET / HTTP/1.1\r\nX: " + std::string(100, 'a');
  CHECK(ParseRequestHead(head, 64, &out) == HeadParse::Malformed);
  CHECK(ParseRequestHead(head + "\r\n\r\n", 64, &out) == HeadParse::Malformed);
  CHECK(ParseRequestHead(head + "\r\n\r\n", kMax, &out) == HeadParse::Complete);
}
