#include "tests/support/relay.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

namespace sp::testkit {
namespace {

int ConnectTo(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

Relay::Relay(int target_port) : target_port_(target_port) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  listen(listen_fd_, 64);
  socklen_t len = sizeof addr;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Loop(); });
}

Relay::~Relay() {
  stop_ = true;
  thread_.join();
  close(listen_fd_);
}

std::string Relay::ClientToServer() const {
  std::lock_guard<std::mutex> lock(mu_);
  return up_;
}

std::string Relay::ServerToClient() const {
  std::lock_guard<std::mutex> lock(mu_);
  return down_;
}

int Relay::Connections() const {
  std::lock_guard<std::mutex> lock(mu_);
  return connections_;
}

// Pairs of (client, server) sockets; a pair ends when either side closes.
void Relay::Loop() {
  struct Pair {
    int client;
    int server;
  };
  std::vector<Pair> pairs;
  char buf[65536];
  while (!stop_) {
    std::vector<pollfd> fds = {{listen_fd_, POLLIN, 0}};
    for (const Pair& p : pairs) {
      fds.push_back({p.client, POLLIN, 0});
      fds.push_back({p.server, POLLIN, 0});
    }
    if (poll(fds.data(), fds.size(), 50) <= 0) continue;
    // Only the pairs that were polled have an entry in `fds`: one accepted
    // below waits for the next round.
    const size_t polled = pairs.size();
    if (fds[0].revents & POLLIN) {
      int client = accept(listen_fd_, nullptr, nullptr);
      int server = client >= 0 ? ConnectTo(target_port_) : -1;
      if (server >= 0) {
        pairs.push_back({client, server});
        std::lock_guard<std::mutex> lock(mu_);
        connections_++;
      } else if (client >= 0) {
        close(client);
      }
    }
    std::vector<Pair> alive(pairs.begin() + static_cast<std::ptrdiff_t>(polled), pairs.end());
    for (size_t i = 0; i < polled; ++i) {
      bool open = true;
      for (int side = 0; side < 2 && open; ++side) {
        const pollfd& pfd = fds[1 + 2 * i + side];
        if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR))) continue;
        ssize_t n = read(pfd.fd, buf, sizeof buf);
        if (n <= 0) {
          open = false;
          break;
        }
        int to = side == 0 ? pairs[i].server : pairs[i].client;
        {
          std::lock_guard<std::mutex> lock(mu_);
          (side == 0 ? up_ : down_).append(buf, static_cast<size_t>(n));
        }
        for (ssize_t off = 0; off < n;) {
          ssize_t w = send(to, buf + off, static_cast<size_t>(n - off), MSG_NOSIGNAL);
          if (w <= 0) {
            open = false;
            break;
          }
          off += w;
        }
      }
      if (open) {
        alive.push_back(pairs[i]);
      } else {
        close(pairs[i].client);
        close(pairs[i].server);
      }
    }
    pairs.swap(alive);
  }
  for (const Pair& p : pairs) {
    close(p.client);
    close(p.server);
  }
}

}  // namespace sp::testkit
