// The servers a client may use: "host:port" entries, given as a list or as
// one comma-separated string ("a:9300,b:9300"). Nodes of one deployment are
// interchangeable (they share Redis and the server key), so a client moves to
// the next entry whenever an attempt or a session ends.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sealpost::internal {

// Splits "a:9300, b:9300" at commas and trims blanks around each entry.
// False with a one-line reason for an empty list or an empty entry.
[[nodiscard]] bool SplitServerList(const std::string& text, std::vector<std::string>* entries,
                                   std::string* error);

// "host:port" or "[v6]:port" into host (brackets removed) and port 1-65535.
// False with a one-line reason naming the entry otherwise.
[[nodiscard]] bool SplitHostPort(const std::string& entry, std::string* host, uint16_t* port,
                                 std::string* error);

// The entries to use: `servers` when it is not empty, else `server` split at
// commas. Every entry is checked with SplitHostPort, and an entry given twice
// is refused (it would get twice the share of the clients).
[[nodiscard]] bool ServerEntries(const std::string& server, const std::vector<std::string>& servers,
                                 std::vector<std::string>* entries, std::string* error);

}  // namespace sealpost::internal
