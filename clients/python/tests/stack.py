"""A real redis-server and sealpost-server on free ports in a temp dir, for
integration tests. Binaries come from $SEALPOST_BIN_DIR (default
<repo>/build/bin); redis-server and redis-cli from PATH."""

from __future__ import annotations

import asyncio
import os
import pathlib
import signal
import socket
import subprocess
import time
from typing import Callable, List, Optional

REPO = pathlib.Path(__file__).resolve().parents[3]
BIN_DIR = pathlib.Path(os.environ.get("SEALPOST_BIN_DIR") or REPO / "build" / "bin")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


async def eventually(condition: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


class Stack:
    def __init__(self, tmp: pathlib.Path) -> None:
        self.tmp = tmp
        self.redis_port = free_port()
        self.port = free_port()
        self.server_key_file = tmp / "server.key"
        self._redis = subprocess.Popen(
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
             "--dir", str(tmp), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: _accepts(self.redis_port), what="redis-server")
        self.server_pk = self.cli("keygen", "--out", str(self.server_key_file)).strip()
        self._servers: List[subprocess.Popen] = []
        self.server: Optional[subprocess.Popen] = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start_server(self, *extra: str, port: Optional[int] = None) -> subprocess.Popen:
        """Starts a node; with `port`, another node (same Redis, same key) there."""
        port = port or self.port
        with open(self.tmp / f"server-{len(self._servers)}.log", "wb") as log:
            self.server = subprocess.Popen(
                [str(BIN_DIR / "sealpost-server"), "--listen", f"127.0.0.1:{port}",
                 "--redis", f"redis://127.0.0.1:{self.redis_port}/0",
                 "--key-file", str(self.server_key_file), "--node-id", f"py-{len(self._servers)}",
                 *extra],
                stdout=log, stderr=subprocess.STDOUT,
            )
        self._servers.append(self.server)
        wait_for(lambda: _accepts(port), what="sealpost-server")
        return self.server

    def stop_server(
        self, sig: int = signal.SIGTERM, timeout: float = 15.0, server: Optional[subprocess.Popen] = None
    ) -> None:
        """Stops `server` (default: the one started last) and waits for its exit."""
        server = server or self.server
        assert server is not None
        server.send_signal(sig)
        server.wait(timeout)

    def cli(self, *args: str) -> str:
        return subprocess.run(
            [str(BIN_DIR / "sealpost"), *args], check=True, capture_output=True, text=True,
            env={**os.environ, "SEALPOST_REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0"},
        ).stdout

    def redis(self, *args: str, stdin: Optional[str] = None) -> str:
        return subprocess.run(
            ["redis-cli", "-p", str(self.redis_port), *args], input=stdin,
            check=True, capture_output=True, text=True,
        ).stdout

    def provision(self, client_id: str) -> str:
        """A key made by `sealpost keygen`, registered for `client_id`; returns its path."""
        key_file = self.tmp / f"{client_id}.key"
        public = self.cli("keygen", "--out", str(key_file)).strip()
        self.redis("HSET", f"sp:{{{client_id}}}:client", "pk", public)
        return str(key_file)

    def push(self, client_id: str, count: int, first: int = 0) -> None:
        """XADDs `count` events (type n, data = sequence number) in one redis-cli run."""
        lines = "".join(
            f"XADD sp:{{{client_id}}}:events * type n data {i}\n" for i in range(first, first + count)
        )
        self.redis(stdin=lines)

    def stop(self) -> None:
        for process in [*self._servers, self._redis]:
            if process.poll() is None:
                process.kill()
                process.wait()
