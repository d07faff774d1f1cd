"""Errors a caller of the client sees."""

from __future__ import annotations

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


class ConnectionLost(Exception):
    """The connection ended; the client reconnects."""
