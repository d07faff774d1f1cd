#include "tests/support/http_get.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdlib>

namespace sp::testkit {

HttpReply HttpExchange(int port, const std::string& request) {
  HttpReply reply;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return reply;
  }
  send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  char buf[4096];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof buf, 0)) > 0) reply.raw.append(buf, static_cast<size_t>(n));
  close(fd);
  if (reply.raw.rfind("HTTP/1.1 ", 0) == 0) reply.status = std::atoi(reply.raw.c_str() + 9);
  size_t blank = reply.raw.find("\r\n\r\n");
  if (blank != std::string::npos) reply.body = reply.raw.substr(blank + 4);
  return reply;
}

HttpReply HttpGet(int port, const std::string& path) {
  return HttpExchange(port,
                      std::string("GET ").append(path).append(" HTTP/1.1\r\nHost: x\r\n\r\n"));
}

}  // namespace sp::testkit
