"""Just enough RESP2 to talk to Redis from the example worker, so the examples
need no Redis client library."""

from __future__ import annotations

import socket
from typing import Any, List, Optional, Union

Reply = Union[None, int, bytes, List[Any]]


class RedisError(Exception):
    pass


class Redis:
    def __init__(self, host: str = "127.0.0.1", port: int = 6379) -> None:
        self._sock = socket.create_connection((host, port))
        self._file = self._sock.makefile("rb")

    def command(self, *args: Union[str, bytes]) -> Reply:
        parts = [a.encode() if isinstance(a, str) else a for a in args]
        self._sock.sendall(
            b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)
        )
        return self._read()

    def _read(self) -> Reply:
        line = self._file.readline()
        if not line:
            raise ConnectionError("redis closed the connection")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest
        if kind == b"-":
            raise RedisError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            return None if int(rest) < 0 else self._file.read(int(rest) + 2)[:-2]
        if kind == b"*":
            count = int(rest)
            return None if count < 0 else [self._read() for _ in range(count)]
        raise RedisError(f"unexpected reply {line!r}")

    def close(self) -> None:
        self._file.close()
        self._sock.close()


def parse_url(url: Optional[str]) -> tuple:
    """redis://host:port[/db] -> (host, port); only what the examples need."""
    rest = (url or "redis://127.0.0.1:6379").split("://", 1)[-1].split("/", 1)[0]
    host, _, port = rest.rpartition(":")
    return host or "127.0.0.1", int(port or 6379)
