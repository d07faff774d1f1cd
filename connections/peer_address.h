// The remote address of a socket, decoded once for the two uses it has: a
// text form for log lines and a key for per-source limits.
#pragma once

#include <uv.h>

#include <cstdint>
#include <string>

namespace sp::connections {

class PeerAddress {
 public:
  // False when the socket has no peer any more (reset, closed).
  [[nodiscard]] static bool Of(const uv_tcp_t* tcp, PeerAddress* out);
  static PeerAddress From(const sockaddr* addr);

  // "ip:port" (IPv6 as "[ip]:port").
  std::string Text() const;
  // The source for per-address limits, in 8 bytes: the /64 of an IPv6
  // address (a single host usually owns a whole /64), or an IPv4 address as
  // 0:ffff:<a.b>:<c.d> (a /64 in reserved space that no IPv6 source has). An
  // IPv4 client on a dual-stack listener arrives as ::ffff:a.b.c.d and is
  // keyed by its IPv4 address, not by the all-zero first 8 bytes it shares
  // with every other IPv4 client. 0 when the address is unknown.
  uint64_t SourceKey() const;

 private:
  sockaddr_storage addr_{};
};

// "ip:port" of the socket's peer, or "?" when it has none any more.
std::string PeerText(const uv_tcp_t* tcp);

// True when the peer has closed or reset the connection; one poll() with no
// wait, far cheaper than a handshake spent on a client that already left.
bool PeerHasLeft(const uv_tcp_t* tcp);

}  // namespace sp::connections
