"""A TCP proxy in the test's event loop: records what the client sends and can
alter one frame the server sends, as an attacker on the path would."""

from __future__ import annotations

import asyncio
from typing import List, Optional


class Proxy:
    def __init__(self, target_port: int, tamper_server_frame: Optional[int] = None) -> None:
        self.target_port = target_port
        self.tamper_server_frame = tamper_server_frame  # 1-based, first connection only
        self.client_bytes: List[bytearray] = []  # per connection
        self.client_closed: List[asyncio.Event] = []
        self._server: Optional[asyncio.AbstractServer] = None
        self.port = 0

    async def start(self) -> "Proxy":
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        index = len(self.client_bytes)
        self.client_bytes.append(bytearray())
        self.client_closed.append(asyncio.Event())
        server_r, server_w = await asyncio.open_connection("127.0.0.1", self.target_port)
        tamper = self.tamper_server_frame if index == 0 else None
        await asyncio.gather(
            self._pipe(client_r, server_w, record=self.client_bytes[index], closed=self.client_closed[index]),
            self._pipe(server_r, client_w, tamper_frame=tamper),
            return_exceptions=True,
        )

    @staticmethod
    async def _pipe(
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        record: Optional[bytearray] = None,
        closed: Optional[asyncio.Event] = None,
        tamper_frame: Optional[int] = None,
    ) -> None:
        frames_seen = 0
        try:
            while data := await reader.read(65536):
                if record is not None:
                    record += data
                if tamper_frame is not None:
                    data, frames_seen = _tamper(data, frames_seen, tamper_frame)
                writer.write(data)
        finally:
            if closed is not None:
                closed.set()
            writer.close()


def _tamper(data: bytes, frames_before: int, target: int) -> tuple:
    """Changes one base64 character in frame number `target` (counting from 1),
    keeping it valid base64 so only the decryption can notice."""
    out = bytearray(data)
    frame = frames_before + 1
    start = 0
    for i, byte in enumerate(out):
        if frame == target and i - start == 4:
            out[i] = ord("B") if byte != ord("B") else ord("C")
        if byte == 0:
            frame += 1
            start = i + 1
    return bytes(out), frame - 1
