// Deletes an object on the loop's next turn: for a link whose last close
// callback is still running when its owner lets go of it.
#pragma once

#include <uv.h>

namespace sp::services {

template <class T>
void DeleteOnNextTurn(uv_loop_t* loop, T* object) {
  auto* idle = new uv_idle_t;
  idle->data = object;
  uv_idle_init(loop, idle);
  uv_idle_start(idle, [](uv_idle_t* h) {
    delete static_cast<T*>(h->data);
    uv_close(reinterpret_cast<uv_handle_t*>(h),
             [](uv_handle_t* closed) { delete reinterpret_cast<uv_idle_t*>(closed); });
  });
}

}  // namespace sp::services
