"""Reconnect delays: a random delay between `minimum` and a ceiling that
doubles with each failure up to `maximum`, so clients that lost the same
server do not come back in step."""

from __future__ import annotations

import random
from typing import Optional


class Backoff:
    def __init__(self, minimum: float, maximum: float, rng: Optional[random.Random] = None) -> None:
        self.minimum = max(minimum, 0.001)
        self.maximum = max(maximum, self.minimum)
        self._failures = 0
        self._rng = rng or random.Random()

    def ceiling(self) -> float:
        return min(self.minimum * 2**self._failures, self.maximum)

    def next(self) -> float:
        delay = self._rng.uniform(self.minimum, self.ceiling())
        if self.ceiling() < self.maximum:
            self._failures += 1
        return delay

    def reset(self) -> None:
        self._failures = 0
