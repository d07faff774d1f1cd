// A minimal blocking HTTP client for the operator endpoint tests: one request
// per connection, as the server answers it.
#pragma once

#include <string>

namespace sp::testkit {

struct HttpReply {
  int status = 0;    // 0: no connection or no status line
  std::string body;  // after the blank line
  std::string raw;   // everything received
};

// Sends `request` verbatim to 127.0.0.1:`port` and reads until the server
// closes (bounded by a 5 s receive timeout).
HttpReply HttpExchange(int port, const std::string& request);
HttpReply HttpGet(int port, const std::string& path);

}  // namespace sp::testkit
