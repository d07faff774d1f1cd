"""Errors a caller of the client sees."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Tuple

if TYPE_CHECKING:
    from .messages import Event

# Encrypted refusals that end the client for good (docs/PROTOCOL.md §2, §5).
FATAL_CODES = frozenset({"unknown_client", "client_disabled", "revoked"})


class SealpostError(Exception):
    """An error `code` from the server, or one of the client's own:
    `server_key_mismatch` (the server's key is not the pinned or recorded one)."""

    def __init__(self, code: str, message: str = "", retry: bool = False) -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message
        self.retry = retry


class RequestTimeout(SealpostError, asyncio.TimeoutError):
    """No final reply to a request in time (code `request_timeout`). `parts`
    holds the partial replies that did arrive. Also an asyncio.TimeoutError."""

    def __init__(self, request_id: str, method: str, timeout: float, parts: Tuple["Event", ...]) -> None:
        super().__init__("request_timeout", f"no reply to request {request_id} ({method}) within {timeout:g} s")
        self.request_id = request_id
        self.parts = parts


class ConnectionLost(Exception):
    """The connection ended; the client reconnects."""
