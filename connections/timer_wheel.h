// One hashed timer wheel for every connection of a loop: heartbeats, ack
// timeouts, retries, handshake and idle deadlines. A connection holds one
// intrusive entry (its next deadline), not a libuv timer per purpose.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sp::connections {

class TimerWheel;

struct WheelEntry {
  WheelEntry* prev = nullptr;
  WheelEntry* next = nullptr;
  uint64_t due_ms = 0;
  void* owner = nullptr;  // the object to wake
  bool Scheduled() const { return prev != nullptr; }
};

class TimerWheel {
 public:
  // tick_ms: resolution; slots * tick_ms is one turn (entries further out wait
  // in their slot and are skipped until due).
  TimerWheel(uint64_t now_ms, uint64_t tick_ms = 10, size_t slots = 1024);

  // (Re)schedules `entry` at `due_ms` (clamped to the next tick).
  void Schedule(WheelEntry* entry, uint64_t due_ms);
  void Cancel(WheelEntry* entry);

  // Advances to `now_ms`, unlinking every due entry and passing it to `fire`
  // (which may reschedule or cancel any entry, including this one).
  template <class Fire>
  void Advance(uint64_t now_ms, Fire&& fire);

  uint64_t TickMs() const { return tick_ms_; }
  size_t Size() const { return size_; }

 private:
  size_t SlotOf(uint64_t due_ms) const { return (due_ms / tick_ms_) % slots_.size(); }
  // Each slot is a circular list with a sentinel head.
  std::vector<WheelEntry> slots_;
  uint64_t tick_ms_;
  uint64_t current_ms_;  // every slot up to here has been processed
  size_t size_ = 0;
};

template <class Fire>
void TimerWheel::Advance(uint64_t now_ms, Fire&& fire) {
  // Visit each slot between the last visit and now once (at most one turn).
  uint64_t start = current_ms_ / tick_ms_;
  uint64_t end = now_ms / tick_ms_;
  if (end - start >= slots_.size()) start = end - slots_.size() + 1;
  // From here on, `fire` may schedule: what is due by now must go to the
  // next tick, not into a slot this pass has already visited.
  current_ms_ = now_ms;
  for (uint64_t tick = start; tick <= end; ++tick) {
    WheelEntry* head = &slots_[tick % slots_.size()];
    // Detach the due entries first: `fire` may reschedule into this very slot.
    WheelEntry due;
    due.prev = due.next = &due;
    for (WheelEntry* e = head->next; e != head;) {
      WheelEntry* next = e->next;
      if (e->due_ms <= now_ms) {
        e->prev->next = e->next;
        e->next->prev = e->prev;
        e->prev = due.prev;
        e->next = &due;
        due.prev->next = e;
        due.prev = e;
      }
      e = next;
    }
    while (due.next != &due) {
      WheelEntry* e = due.next;
      due.next = e->next;
      e->next->prev = &due;
      e->prev = e->next = nullptr;
      --size_;
      fire(e);
    }
  }
}

}  // namespace sp::connections
