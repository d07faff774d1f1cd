// The client listener: a TCP socket with SO_REUSEPORT, so several server
// processes on one machine share the port and the kernel spreads connections.
#pragma once

#include <uv.h>

#include <functional>
#include <string>

namespace sp::server {

// Binds and listens; `on_connection` runs for every pending connection.
// Returns a libuv error code (0 on success).
int Listen(uv_loop_t* loop, uv_tcp_t* handle, const std::string& host, int port, int backlog,
           uv_connection_cb on_connection);

}  // namespace sp::server
