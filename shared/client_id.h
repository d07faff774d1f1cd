// What a client id may look like: a protocol rule, not a storage detail. The
// client checks its own id before connecting, the server checks the id named
// in handshake message 3, the tools check ids they provision.
#pragma once

#include <string_view>

namespace sp::proto {

// A valid client id is 1 to 64 characters, each of A-Z a-z 0-9 '_' '.' '-'.
// Ids end up inside Redis key names and hash tags ("sp:{ID}:events"), so
// braces, colons, spaces and anything outside ASCII are refused.
bool IsValidClientId(std::string_view id);

}  // namespace sp::proto
