#include "services/redis_uv_adapter.h"

#include <hiredis/async.h>

namespace sp::services {
namespace {

struct UvEvents {
  redisAsyncContext* context;
  uv_poll_t handle;
  int events;
};

void OnPoll(uv_poll_t* handle, int status, int events) {
  auto* p = static_cast<UvEvents*>(handle->data);
  // On a socket error libuv stops the poll and passes status < 0: run the
  // pending operations anyway so hiredis reads the errno and disconnects.
  int ready = status < 0 ? p->events : events;
  if (p->context != nullptr && (ready & UV_READABLE)) redisAsyncHandleRead(p->context);
  // The read may have freed the context (Cleanup clears p->context).
  if (p->context != nullptr && (ready & UV_WRITABLE)) redisAsyncHandleWrite(p->context);
}

void Update(UvEvents* p) {
  if (p->events)
    uv_poll_start(&p->handle, p->events, &OnPoll);
  else
    uv_poll_stop(&p->handle);
}

void AddRead(void* privdata) {
  auto* p = static_cast<UvEvents*>(privdata);
  p->events |= UV_READABLE;
  Update(p);
}
void DelRead(void* privdata) {
  auto* p = static_cast<UvEvents*>(privdata);
  p->events &= ~UV_READABLE;
  Update(p);
}
void AddWrite(void* privdata) {
  auto* p = static_cast<UvEvents*>(privdata);
  p->events |= UV_WRITABLE;
  Update(p);
}
void DelWrite(void* privdata) {
  auto* p = static_cast<UvEvents*>(privdata);
  p->events &= ~UV_WRITABLE;
  Update(p);
}

// hiredis is done with the context: the handle's memory goes in its close callback.
void Cleanup(void* privdata) {
  auto* p = static_cast<UvEvents*>(privdata);
  p->context = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&p->handle),
           [](uv_handle_t* h) { delete static_cast<UvEvents*>(h->data); });
}

}  // namespace

bool AttachToLoop(redisAsyncContext* ac, uv_loop_t* loop) {
  if (ac->ev.data != nullptr) return false;
  auto* p = new UvEvents{ac, {}, 0};
  if (uv_poll_init(loop, &p->handle, ac->c.fd) != 0) {
    delete p;
    return false;
  }
  p->handle.data = p;
  ac->ev.addRead = &AddRead;
  ac->ev.delRead = &DelRead;
  ac->ev.addWrite = &AddWrite;
  ac->ev.delWrite = &DelWrite;
  ac->ev.cleanup = &Cleanup;
  ac->ev.data = p;
  return true;
}

}  // namespace sp::services
