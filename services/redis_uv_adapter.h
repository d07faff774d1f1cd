// Attaches a hiredis async context to a libuv loop. Our own instead of
// hiredis 0.14's adapters/libuv.h: that one ignores the error status libuv
// reports for a reset socket, so hiredis never learns the link died and the
// context hangs "connected" forever.
#pragma once

#include <uv.h>

struct redisAsyncContext;

namespace sp::services {

// Returns false if the poll handle could not be created.
bool AttachToLoop(redisAsyncContext* ac, uv_loop_t* loop);

}  // namespace sp::services
