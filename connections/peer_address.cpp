#include "connections/peer_address.h"

#include <netinet/in.h>
#include <poll.h>

#include <cstring>

namespace sp::connections {

bool PeerAddress::Of(const uv_tcp_t* tcp, PeerAddress* out) {
  int len = sizeof out->addr_;
  return uv_tcp_getpeername(tcp, reinterpret_cast<sockaddr*>(&out->addr_), &len) == 0;
}

PeerAddress PeerAddress::From(const sockaddr* addr) {
  PeerAddress out;
  size_t len = addr->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  std::memcpy(&out.addr_, addr, len);
  return out;
}

std::string PeerAddress::Text() const {
  char host[INET6_ADDRSTRLEN] = "?";
  if (addr_.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&addr_);
    uv_ip4_name(in, host, sizeof host);
    return std::string(host) + ":" + std::to_string(ntohs(in->sin_port));
  }
  if (addr_.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&addr_);
    uv_ip6_name(in6, host, sizeof host);
    // Appended, not "[" + std::string(host): GCC 12 at -O2 and above reports a
    // false -Werror=restrict for a literal prepended to a string (bug 105329).
    std::string text = "[";
    text.append(host).append("]:").append(std::to_string(ntohs(in6->sin6_port)));
    return text;
  }
  return "?";
}

namespace {

uint64_t BigEndian(const uint8_t* bytes, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | bytes[i];
  return v;
}

constexpr uint64_t kIpv4Prefix = 0xffffull << 32;

}  // namespace

uint64_t PeerAddress::SourceKey() const {
  if (addr_.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&addr_);
    return kIpv4Prefix | BigEndian(reinterpret_cast<const uint8_t*>(&in->sin_addr), 4);
  }
  if (addr_.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&addr_);
    const auto* bytes = reinterpret_cast<const uint8_t*>(&in6->sin6_addr);
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) return kIpv4Prefix | BigEndian(bytes + 12, 4);
    return BigEndian(bytes, 8);
  }
  return 0;
}

std::string PeerText(const uv_tcp_t* tcp) {
  PeerAddress address;
  return PeerAddress::Of(tcp, &address) ? address.Text() : "?";
}

bool PeerHasLeft(const uv_tcp_t* tcp) {
  uv_os_fd_t fd;
  if (uv_fileno(reinterpret_cast<const uv_handle_t*>(tcp), &fd) != 0) return true;
  pollfd p{fd, POLLRDHUP, 0};
  return poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

}  // namespace sp::connections
