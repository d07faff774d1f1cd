"""Which recent eventIds the client has seen, and whether each is acked yet.
A redelivered event is never handed to the application twice; if it was
already acked the ack is sent again (the first one may have been lost)."""

from __future__ import annotations

import enum
from collections import OrderedDict


class Seen(enum.Enum):
    NEW = "new"
    TAKEN = "taken"  # handed out (or queued), ack still to come
    ACKED = "acked"


class DedupeWindow:
    def __init__(self, capacity: int = 4096) -> None:
        self.capacity = capacity
        self._ids: "OrderedDict[str, bool]" = OrderedDict()  # id -> acked

    def observe(self, event_id: str) -> Seen:
        """State of `event_id` before this call; a new id is recorded as taken."""
        acked = self._ids.get(event_id)
        if acked is None:
            self._ids[event_id] = False
            if len(self._ids) > self.capacity:
                self._ids.popitem(last=False)
            return Seen.NEW
        return Seen.ACKED if acked else Seen.TAKEN

    def mark_acked(self, event_id: str) -> None:
        if event_id in self._ids:
            self._ids[event_id] = True

    def forget(self, event_id: str) -> None:
        self._ids.pop(event_id, None)
