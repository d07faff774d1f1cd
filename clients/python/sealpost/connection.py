"""One TCP connection to the server: handshake, welcome, then encrypted
messages in and out. The client above it decides what to do with them."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional

from . import messages
from .errors import ConnectionLost, SealpostError
from .frames import FrameReader, FrameTooLarge, encode
from .handshake import HandshakeFailed, Initiator, PlaintextError, parse_plaintext
from .transport import Transport, TransportError

HANDSHAKE_FRAME_LIMIT = 3072  # the server's own pre-handshake limit with defaults
DEFAULT_MAX_FRAME = 87380


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._frames = FrameReader(HANDSHAKE_FRAME_LIMIT)
        self._pending: List[bytes] = []
        self._transport: Optional[Transport] = None
        self.welcome: Dict[str, Any] = {}

    @classmethod
    async def open(cls, host: str, port: int, initiator: Initiator, timeout: float) -> "Connection":
        """Connects and completes the handshake up to `welcome`, within `timeout`.
        Raises SealpostError (encrypted refusal), PlaintextError, HandshakeFailed,
        ConnectionLost or OSError."""
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        connection = cls(reader, writer)
        try:
            await asyncio.wait_for(connection._handshake(initiator), timeout)
        except BaseException:
            connection.abort()
            raise
        return connection

    async def _handshake(self, initiator: Initiator) -> None:
        self._write(initiator.first_frame())
        self._write(initiator.read_second(await self._next_frame()))
        self._transport = initiator.transport()
        frame = await self._next_frame()
        if frame.startswith(b"{"):  # plaintext: message 3 was refused before the transport
            parse_plaintext(frame)
            raise HandshakeFailed("plaintext answer to message 3")
        welcome = self._open(frame)
        if welcome["type"] == "error":
            raise _server_error(welcome)
        if welcome["type"] != "welcome":
            raise HandshakeFailed(f"expected welcome, got {welcome['type']}")
        self.welcome = welcome
        max_frame = welcome.get("maxFrameBytes")
        self._frames.max_bytes = max_frame if isinstance(max_frame, int) else DEFAULT_MAX_FRAME

    async def receive(self) -> Dict[str, Any]:
        """The next message; raises ConnectionLost when the connection ends or
        a frame does not decrypt."""
        return self._open(await self._next_frame())

    def send(self, message: Dict[str, Any]) -> None:
        assert self._transport is not None
        self._write(self._transport.seal(messages.encode(message)))

    def abort(self) -> None:
        self._writer.close()

    async def close(self) -> None:
        self._writer.close()
        try:
            await self._writer.wait_closed()
        except OSError:
            pass

    def _open(self, frame: bytes) -> Dict[str, Any]:
        assert self._transport is not None
        try:
            return messages.decode(self._transport.open(frame))
        except (TransportError, messages.ProtocolError) as e:
            raise ConnectionLost(str(e)) from e

    def _write(self, frame: bytes) -> None:
        if self._writer.is_closing():
            raise ConnectionLost("connection closed")
        self._writer.write(encode(frame))

    async def _next_frame(self) -> bytes:
        while not self._pending:
            data = await self._reader.read(65536)
            if not data:
                raise ConnectionLost("connection closed by the server")
            try:
                self._pending.extend(self._frames.feed(data))
            except FrameTooLarge as e:
                raise ConnectionLost(str(e)) from e
        return self._pending.pop(0)


def _server_error(message: Dict[str, Any]) -> SealpostError:
    return SealpostError(
        str(message.get("code", "")), str(message.get("message", "")), bool(message.get("retry"))
    )


__all__ = ["Connection", "PlaintextError", "HandshakeFailed"]
