#include "server/listener.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace sp::server {

int Listen(uv_loop_t* loop, uv_tcp_t* handle, const std::string& host, int port, int backlog,
           uv_connection_cb on_connection) {
  sockaddr_storage addr{};
  if (uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&addr)) != 0 &&
      uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&addr)) != 0) {
    return UV_EINVAL;
  }
  // libuv 1.44 has no SO_REUSEPORT flag: build the socket ourselves, then hand it over.
  int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return uv_translate_sys_error(errno);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  socklen_t len = addr.ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    int err = uv_translate_sys_error(errno);
    close(fd);
    return err;
  }
  int rc = uv_tcp_init(loop, handle);
  if (rc == 0) rc = uv_tcp_open(handle, fd);
  if (rc != 0) {
    close(fd);
    return rc;
  }
  return uv_listen(reinterpret_cast<uv_stream_t*>(handle), backlog, on_connection);
}

}  // namespace sp::server
