#include "services/redis_uv_adapter.h"

#include <hiredis/async.h>

namespace sp::services {
namespace {

// Output is written once per loop iteration, just before the loop blocks
// (a prepare handle), not by polling for "writable": every command issued in
// the iteration leaves in one write() and the socket's epoll registration
// stays untouched. Only output the socket would not take waits for POLLOUT.
struct UvEvents {
  redisAsyncContext* context;
  uv_poll_t poll;
  uv_prepare_t prepare;
  int events = 0;          // what `poll` watches
  bool write_due = false;  // hiredis has output; the prepare handle writes it
  bool in_flush = false;   // inside FlushOutput
  int open_handles = 2;    // freed when both handles have closed
};

void Update(UvEvents* p) {
  if (p->events)
    uv_poll_start(&p->poll, p->events, [](uv_poll_t* handle, int status, int events) {
      auto* p = static_cast<UvEvents*>(handle->data);
      // On a socket error libuv stops the poll and passes status < 0: run the
      // pending operations anyway so hiredis reads the errno and disconnects.
      int ready = status < 0 ? p->events : events;
      if (p->context != nullptr && (ready & UV_READABLE)) redisAsyncHandleRead(p->context);
      // The read may have freed the context (Cleanup clears p->context).
      if (p->context != nullptr && (ready & UV_WRITABLE)) redisAsyncHandleWrite(p->context);
    });
  else
    uv_poll_stop(&p->poll);
}

void Watch(UvEvents* p, int events, bool on) {
  int next = on ? (p->events | events) : (p->events & ~events);
  if (next == p->events) return;
  p->events = next;
  Update(p);
}

void FlushOutput(uv_prepare_t* prepare) {
  auto* p = static_cast<UvEvents*>(prepare->data);
  uv_prepare_stop(prepare);
  if (p->context == nullptr || !p->write_due) return;
  p->write_due = false;
  p->in_flush = true;
  redisAsyncHandleWrite(p->context);  // calls AddWrite again if output is left
  p->in_flush = false;
}

void AddRead(void* privdata) {
  Watch(static_cast<UvEvents*>(privdata), UV_READABLE, true);
}
void DelRead(void* privdata) {
  Watch(static_cast<UvEvents*>(privdata), UV_READABLE, false);
}

void AddWrite(void* privdata) {
  auto* p = static_cast<UvEvents*>(privdata);
  // A connect in progress is only known to be done once the socket is writable;
  // and output the socket did not take must wait until it is.
  if (!(p->context->c.flags & REDIS_CONNECTED) || p->in_flush) {
    Watch(p, UV_WRITABLE, true);
    return;
  }
  if (p->events & UV_WRITABLE) return;  // already waiting for the socket
  p->write_due = true;
  uv_prepare_start(&p->prepare, &FlushOutput);
}

void DelWrite(void* privdata) {
  auto* p = static_cast<UvEvents*>(privdata);
  p->write_due = false;
  Watch(p, UV_WRITABLE, false);
}

void OnHandleClosed(uv_handle_t* h) {
  auto* p = static_cast<UvEvents*>(h->data);
  if (--p->open_handles == 0) delete p;
}

// hiredis is done with the context: the memory goes when both handles closed.
void Cleanup(void* privdata) {
  auto* p = static_cast<UvEvents*>(privdata);
  p->context = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&p->poll), &OnHandleClosed);
  uv_close(reinterpret_cast<uv_handle_t*>(&p->prepare), &OnHandleClosed);
}

}  // namespace

bool AttachToLoop(redisAsyncContext* ac, uv_loop_t* loop) {
  if (ac->ev.data != nullptr) return false;
  auto* p = new UvEvents{ac, {}, {}};
  if (uv_poll_init(loop, &p->poll, ac->c.fd) != 0) {
    delete p;
    return false;
  }
  uv_prepare_init(loop, &p->prepare);  // cannot fail
  p->poll.data = p;
  p->prepare.data = p;
  ac->ev.addRead = &AddRead;
  ac->ev.delRead = &DelRead;
  ac->ev.addWrite = &AddWrite;
  ac->ev.delWrite = &DelWrite;
  ac->ev.cleanup = &Cleanup;
  ac->ev.data = p;
  return true;
}

}  // namespace sp::services
