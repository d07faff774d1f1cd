"""Framing (docs/PROTOCOL.md §1): bytes up to a single 0x00 terminator."""

from __future__ import annotations

from typing import List

TERMINATOR = b"\x00"


class FrameTooLarge(Exception):
    pass


def encode(payload: bytes) -> bytes:
    if TERMINATOR in payload:
        raise ValueError("a frame cannot contain 0x00")
    return payload + TERMINATOR


class FrameReader:
    """Collects bytes as they arrive and yields complete frames. Empty frames
    are dropped; more than `max_bytes` without a terminator raises."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._buffer = bytearray()

    def feed(self, data: bytes) -> List[bytes]:
        self._buffer += data
        frames = []
        start = 0
        while True:
            end = self._buffer.find(TERMINATOR, start)
            if end < 0:
                break
            frame = bytes(self._buffer[start:end])
            if len(frame) > self.max_bytes:
                raise FrameTooLarge(f"frame of {len(frame)} bytes")
            if frame:
                frames.append(frame)
            start = end + 1
        del self._buffer[:start]
        if len(self._buffer) > self.max_bytes:
            raise FrameTooLarge(f"{len(self._buffer)} bytes without a frame end")
        return frames
