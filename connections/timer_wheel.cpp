#include "connections/timer_wheel.h"

namespace sp::connections {

TimerWheel::TimerWheel(uint64_t now_ms, uint64_t tick_ms, size_t slots)
    : slots_(slots), tick_ms_(tick_ms == 0 ? 1 : tick_ms), current_ms_(now_ms) {
  for (WheelEntry& head : slots_) head.prev = head.next = &head;
}

void TimerWheel::Schedule(WheelEntry* entry, uint64_t due_ms) {
  Cancel(entry);
  // Never into a slot already passed in this turn: it would wait a whole turn.
  if (due_ms <= current_ms_) due_ms = current_ms_ + tick_ms_;
  entry->due_ms = due_ms;
  WheelEntry* head = &slots_[SlotOf(due_ms)];
  entry->next = head;
  entry->prev = head->prev;
  head->prev->next = entry;
  head->prev = entry;
  ++size_;
}

void TimerWheel::Cancel(WheelEntry* entry) {
  if (!entry->Scheduled()) return;
  entry->prev->next = entry->next;
  entry->next->prev = entry->prev;
  entry->prev = entry->next = nullptr;
  --size_;
}

}  // namespace sp::connections
