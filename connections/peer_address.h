// The remote address of a socket, decoded once for the two uses it has: a
// text form for log lines and a key for per-source limits.
#pragma once

#include <uv.h>

#include <string>

namespace sp::connections {

class PeerAddress {
 public:
  // False when the socket has no peer any more (reset, closed).
  [[nodiscard]] static bool Of(const uv_tcp_t* tcp, PeerAddress* out);
  static PeerAddress From(const sockaddr* addr);

  // "ip:port" (IPv6 as "[ip]:port").
  std::string Text() const;
  // Raw bytes that identify one source for rate limits: the IPv4 address, or
  // the /64 of an IPv6 address (a single host usually owns a whole /64). An
  // IPv4 client on a dual-stack listener arrives as ::ffff:a.b.c.d and is
  // keyed by its IPv4 address, not by the all-zero first 8 bytes it shares
  // with every other IPv4 client.
  std::string SourceKey() const;

 private:
  sockaddr_storage addr_{};
};

// True when the peer has closed or reset the connection; one poll() with no
// wait, far cheaper than a handshake spent on a client that already left.
bool PeerHasLeft(const uv_tcp_t* tcp);

}  // namespace sp::connections
