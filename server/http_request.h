// Parsing the head of one HTTP/1.x request, for the operator endpoints. Pure:
// no I/O, no allocation; strict, because the only clients are scrapers, probes
// and browsers, and anything else is better refused than guessed at.
#pragma once

#include <cstddef>
#include <string_view>

namespace sp::server {

struct HttpRequest {
  std::string_view method;  // "GET", "HEAD", ...
  std::string_view path;    // "/metrics" (the query string is dropped)
};

enum class HeadParse { Incomplete, Complete, Malformed };

// Parses `buffer` (everything read so far) as a request line and headers ending
// in an empty line. Complete: *out points into `buffer`. Incomplete: read more,
// unless `buffer` already holds `max_bytes` (then it is Malformed).
HeadParse ParseRequestHead(std::string_view buffer, size_t max_bytes, HttpRequest* out);

}  // namespace sp::server
