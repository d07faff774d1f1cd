// Source keys for per-address limits, and the text form for logs.
#include "connections/peer_address.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>

#include <cstring>

using sp::connections::PeerAddress;

namespace {

PeerAddress V4(const char* ip, uint16_t port) {
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(port);
  REQUIRE(inet_pton(AF_INET, ip, &in.sin_addr) == 1);
  return PeerAddress::From(reinterpret_cast<const sockaddr*>(&in));
}

PeerAddress V6(const char* ip, uint16_t port) {
  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(port);
  REQUIRE(inet_pton(AF_INET6, ip, &in6.sin6_addr) == 1);
  return PeerAddress::From(reinterpret_cast<const sockaddr*>(&in6));
}

}  // namespace

TEST_CASE("text form for logs") {
  CHECK(V4("127.0.0.5", 9300).Text() == "127.0.0.5:9300");
  CHECK(V6("2001:db8::1", 443).Text() == "[2001:db8::1]:443");
}

TEST_CASE("IPv4 sources are keyed by address, the port does not matter") {
  CHECK(V4("10.1.2.3", 1).SourceKey() == V4("10.1.2.3", 2).SourceKey());
  CHECK(V4("10.1.2.3", 1).SourceKey() != V4("10.1.2.4", 1).SourceKey());
}

TEST_CASE("IPv6 sources are keyed by their /64") {
  CHECK(V6("2001:db8:1:2::1", 1).SourceKey() == V6("2001:db8:1:2:ffff::9", 1).SourceKey());
  CHECK(V6("2001:db8:1:2::1", 1).SourceKey() != V6("2001:db8:1:3::1", 1).SourceKey());
}

TEST_CASE("IPv4 clients on a dual-stack listener do not share one bucket") {
  PeerAddress a = V6("::ffff:192.0.2.1", 1);
  PeerAddress b = V6("::ffff:192.0.2.2", 1);
  CHECK(a.SourceKey() != b.SourceKey());
  // The same client over IPv4 and v4-mapped IPv6 is one source.
  CHECK(a.SourceKey() == V4("192.0.2.1", 7).SourceKey());
}

TEST_CASE("IPv4 keys cannot collide with the /64 of an IPv6 source in use") {
  CHECK(V4("192.0.2.1", 1).SourceKey() != V6("2001:db8::1", 1).SourceKey());
  CHECK(V4("0.0.0.0", 1).SourceKey() != 0);  // 0 means "unknown"
}
