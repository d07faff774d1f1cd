"""The client: one connection at a time, reconnecting with backoff; events
handed out once each and acked after the consumer is done with them;
client-events and requests kept until the server has stored them; replies
matched to their requests."""

from __future__ import annotations

import asyncio
import hmac
import itertools
import logging
import os
import random
import time
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from . import b64, keyfile, known_servers, messages
from .backoff import Backoff
from .connection import Connection
from .dedupe import DedupeWindow, Seen
from .errors import FATAL_CODES, ConnectionLost, RequestTimeout, SealpostError
from .handshake import DEFAULT_PROTOCOL, HandshakeFailed, Initiator, PlaintextError
from .messages import NO_PARAMS, Event, Reply
from .noise import KeyPair

log = logging.getLogger("sealpost")

_CLOSED = object()  # queue sentinel: no more events
GOAWAY_CLOSE_LIMIT = 30.0  # seconds a draining server may keep the connection
REPLACED_DELAY = 1.0
REQUEST_TIMEOUT = 30.0


@dataclass
class Options:
    # "host:port" ("[v6]:port"), or nodes of one deployment separated by
    # commas: "a:9300,b:9300"
    server: str
    client_id: str
    key_file: str  # created (0600) when missing, like the C++ library
    server_public_key: Optional[str] = None  # base64; without it: known-servers file
    known_servers_file: Optional[str] = None  # default ~/.sealpost/known_servers
    server_name: Optional[str] = None  # known-servers entry name (default: each server's entry)
    # The servers as a list; wins over `server`. Every attempt or session that
    # ends (refused, timed out, lost, goaway) moves the next attempt to the
    # next server, round robin from `first_server` (-1: a random one, so
    # clients given the same list spread over its nodes).
    servers: Optional[Sequence[str]] = None
    first_server: int = -1
    protocol: str = DEFAULT_PROTOCOL
    connect_timeout: float = 10.0
    backoff_min: float = 0.1
    backoff_max: float = 30.0
    # A session up this long (or ended by goaway) resets the backoff: a node
    # that welcomes and drops us at once is not retried at full speed.
    healthy_session: float = 1.0
    resend_delay: float = 1.0  # after `unavailable` / per-second `quota`
    dedupe_window: int = 4096


class _KeyRejected(Exception):
    pass


@dataclass
class _PendingRequest:
    future: "asyncio.Future[Reply]"
    on_partial: Optional[Callable[[Event], Any]]
    parts: List[Event] = field(default_factory=list)


def connect(server: Union[str, Sequence[str]], client_id: str, key_file: str, **options: Any) -> "Client":
    """`async with sealpost.connect("host:9300", "101", "101.key", server_public_key=...) as c:`

    `server` may list several nodes: "a:9300,b:9300" or ["a:9300", "b:9300"]."""
    if not isinstance(server, str):
        servers = list(server)
        return Client(Options(server="", servers=servers, client_id=client_id, key_file=key_file, **options))
    return Client(Options(server=server, client_id=client_id, key_file=key_file, **options))


class Client:
    def __init__(self, options: Options) -> None:
        self.options = options
        # (entry as given, host, port) per server; checked here, so a bad list
        # raises ValueError before anything runs
        entries = server_entries(options.server, options.servers)
        self._servers = [(entry, *_split_server(entry)) for entry in entries]
        if options.first_server >= 0:
            self._server_index = options.first_server % len(self._servers)
        else:
            self._server_index = random.randrange(len(self._servers))
        self._pinned = b64.decode(options.server_public_key) if options.server_public_key else None
        self._key: Optional[KeyPair] = None
        self._events: "asyncio.Queue[Union[Event, object]]" = asyncio.Queue()
        self._seen = DedupeWindow(options.dedupe_window)
        self._taken: Optional[Event] = None  # handed out, acked on the next __anext__
        # client-events and requests until acked: (message, future); a
        # request's future is its pending reply's
        self._outbox: Dict[str, Tuple[Dict[str, Any], "asyncio.Future[Any]"]] = {}
        self._requests: Dict[str, _PendingRequest] = {}  # until the final reply or the timeout
        self._ids = itertools.count(1)
        self._id_prefix = os.urandom(6).hex()
        self._conn: Optional[Connection] = None
        self._draining = False  # goaway received: send nothing new on this connection
        self._closed_with: Optional[str] = None  # error code the server closed with
        self._connected = asyncio.Event()
        self._fatal: Optional[SealpostError] = None
        self._task: Optional["asyncio.Task[None]"] = None
        self.welcome: Dict[str, Any] = {}

    # --- lifecycle -----------------------------------------------------------

    async def __aenter__(self) -> "Client":
        self.start()
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self._ack_taken()  # left the loop normally: the last event is done
        await self.close()

    def start(self) -> None:
        """Loads (or creates) the key and starts connecting. Raises KeyFileError."""
        self._key = keyfile.load_or_create(self.options.key_file)
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        self._finish(None)

    @property
    def server(self) -> str:
        """The server (as given) of the current session, or of the next attempt."""
        return self._servers[self._server_index][0]

    @property
    def connected(self) -> bool:
        """True while a session is active (between `welcome` and its end)."""
        return self._conn is not None

    async def wait_connected(self) -> Dict[str, Any]:
        """Waits for an active session; returns its `welcome`. Raises the fatal error."""
        while not self._connected.is_set():
            if self._fatal:
                raise self._fatal
            if self._task is None or self._task.done():
                raise SealpostError("closed", "the client is not running")
            waiter = asyncio.ensure_future(self._connected.wait())
            await asyncio.wait({waiter, self._task}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
        return self.welcome

    # --- events ----------------------------------------------------------------

    def __aiter__(self) -> "Client":
        return self

    async def __anext__(self) -> Event:
        self._ack_taken()
        item = await self._events.get()
        if item is _CLOSED:
            self._events.put_nowait(_CLOSED)  # later calls end too
            if self._fatal:
                raise self._fatal
            raise StopAsyncIteration
        assert isinstance(item, Event)
        self._taken = item
        return item

    def _ack_taken(self) -> None:
        event, self._taken = self._taken, None
        if event is not None:
            self._seen.mark_acked(event.event_id)
            # Without a connection the server sends it again later; the
            # dedupe window then answers with this ack.
            self._send_now(messages.make("ack", eventId=event.event_id))

    # --- client-events -----------------------------------------------------

    async def send(
        self, type_: str, data: Optional[str] = None, fields: Optional[Mapping[str, str]] = None,
        *, to: Optional[str] = None,
    ) -> str:
        """Sends a client-event and returns its id once the server has stored
        it: in `sp:inbound`, or with `to` ("<client id>" or "group:<name>")
        in the target's stream (every other member's for a group, each with
        `from` = this client). Kept and sent again across reconnects until
        then. A refusal (`unknown_target`, `forbidden`, `group_too_large`,
        daily `quota`) raises SealpostError; what the server would not accept
        at all raises ValueError before anything is sent."""
        self._check_running()
        event_id = self._next_id()
        message = messages.client_event(event_id, type_, data, fields, to)
        future: "asyncio.Future[str]" = asyncio.get_running_loop().create_future()
        self._outbox[event_id] = (message, future)
        if not self._draining:
            self._send_now(message)
        try:
            return await future
        finally:
            self._outbox.pop(event_id, None)

    # --- requests ------------------------------------------------------------

    async def request(
        self, method: str, params: Any = NO_PARAMS, *, timeout: float = REQUEST_TIMEOUT,
        on_partial: Optional[Callable[[Event], Any]] = None,
    ) -> Reply:
        """Sends a request (kept and sent again until acked, like `send`) and
        returns its final reply, with every partial one in `Reply.parts`.
        `params` is any JSON value (left out when not given); `on_partial` is
        called with each partial reply (`last` = "0") as it arrives. Raises
        RequestTimeout (an asyncio.TimeoutError) after `timeout` seconds,
        SealpostError on a refusal (`forbidden`, daily `quota`) or close.
        Replies are acked by the client and never reach the event iterator;
        one that arrives after the timeout does."""
        self._check_running()
        if not timeout > 0:
            raise ValueError("timeout must be positive")
        request_id = self._next_id()
        message = messages.request(request_id, method, params)
        future: "asyncio.Future[Reply]" = asyncio.get_running_loop().create_future()
        pending = _PendingRequest(future, on_partial)
        self._outbox[request_id] = (message, future)
        self._requests[request_id] = pending
        if not self._draining:
            self._send_now(message)
        try:
            return await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError:
            if future.cancelled():  # our deadline, not a caller's cancellation
                raise RequestTimeout(request_id, method, timeout, tuple(pending.parts)) from None
            raise
        finally:
            self._outbox.pop(request_id, None)
            self._requests.pop(request_id, None)

    async def request_parts(
        self, method: str, params: Any = NO_PARAMS, *, timeout: float = REQUEST_TIMEOUT
    ) -> AsyncIterator[Event]:
        """`request`, yielding each reply event as it arrives, the final one last:
        `async for part in client.request_parts("query", "SetA-Two"): ...`"""
        parts: "asyncio.Queue[Event]" = asyncio.Queue()
        task = asyncio.ensure_future(self.request(method, params, timeout=timeout, on_partial=parts.put_nowait))
        try:
            while True:
                getter = asyncio.ensure_future(parts.get())
                await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
                if getter.done():
                    yield getter.result()
                    continue
                getter.cancel()
                while not parts.empty():
                    yield parts.get_nowait()
                yield task.result().event  # raises the request's error
                return
        finally:
            if not task.done():
                task.cancel()
                try:
                    await task
                except (asyncio.CancelledError, SealpostError):
                    pass

    def _take_reply(self, request_id: str, pending: _PendingRequest, event: Event) -> None:
        pending.parts.append(event)
        if event.fields.get("last") == "0":
            if pending.on_partial is not None:
                try:
                    pending.on_partial(event)
                except Exception as e:  # the caller's callback: the request fails with it
                    pending.future.set_exception(e)
            return
        pending.future.set_result(Reply(request_id, tuple(pending.parts)))
        self._outbox.pop(request_id, None)  # a reply proves it was stored

    # --- sending -------------------------------------------------------------

    def _check_running(self) -> None:
        if self._fatal:
            raise self._fatal
        if self._task is None or self._task.done():
            raise SealpostError("closed", "the client is not running")

    def _next_id(self) -> str:
        return f"{self._id_prefix}-{next(self._ids)}"

    def _send_now(self, message: Dict[str, Any]) -> None:
        if self._conn is None:
            return
        try:
            self._conn.send(message)
        except ConnectionLost:
            pass  # the session loop notices and reconnects

    def _resend_later(self, event_id: str) -> None:
        def resend() -> None:
            if event_id in self._outbox and not self._draining:
                self._send_now(self._outbox[event_id][0])

        asyncio.get_running_loop().call_later(self.options.resend_delay, resend)

    # --- connecting --------------------------------------------------------------

    async def _run(self) -> None:
        try:
            await self._connect_loop()
        except Exception as e:  # a bug must not leave consumers waiting forever
            log.exception("sealpost: client stopped")
            self._finish(SealpostError("internal", repr(e)))

    async def _connect_loop(self) -> None:
        backoff = Backoff(self.options.backoff_min, self.options.backoff_max)
        while True:
            _, host, port = self._servers[self._server_index]
            try:
                connection = await Connection.open(host, port, self._initiator(), self.options.connect_timeout)
            except SealpostError as e:  # encrypted refusal: authentic
                if e.code in FATAL_CODES:
                    return self._finish(e)
                log.warning("sealpost: server %s refused the session: %s", self.server, e)
                self._next_server()
                await asyncio.sleep(backoff.next())
                continue
            except _KeyRejected as e:
                return self._finish(SealpostError("server_key_mismatch", str(e)))
            except (PlaintextError, HandshakeFailed, ConnectionLost, OSError, asyncio.TimeoutError) as e:
                log.info("sealpost: connecting to %s failed: %s", self.server, e or type(e).__name__)
                self._next_server()
                await asyncio.sleep(backoff.next())
                continue
            started = time.monotonic()
            try:
                goaway_delay = await self._session(connection)
            except SealpostError as e:
                return self._finish(e)
            self._next_server()
            if goaway_delay is not None or time.monotonic() - started >= self.options.healthy_session:
                backoff.reset()
            delay = goaway_delay if goaway_delay is not None else backoff.next()
            if self._closed_with == "replaced":  # another session took our id: don't kick it back at once
                delay = max(delay, REPLACED_DELAY)
            await asyncio.sleep(delay)

    def _next_server(self) -> None:
        # Whatever ended this attempt or session may be this node's alone:
        # the next attempt goes to the next server of the list.
        self._server_index = (self._server_index + 1) % len(self._servers)

    def _initiator(self) -> Initiator:
        assert self._key is not None
        return Initiator(self._key, self.options.client_id, self._check_server_key, self.options.protocol)

    def _check_server_key(self, key: bytes) -> None:
        if self._pinned is not None:
            if not hmac.compare_digest(key, self._pinned):
                raise _KeyRejected("the server's key is not the pinned key")
            return
        path = self.options.known_servers_file or known_servers.default_path()
        name = self.options.server_name or self.server
        key_b64 = b64.encode(key)
        try:
            trust, detail = known_servers.check(path, name, key_b64)
        except OSError as e:
            raise _KeyRejected(f"{path}: cannot record the server key: {e.strerror}") from e
        if trust is known_servers.Trust.MISMATCH:
            raise _KeyRejected(detail)
        if trust is known_servers.Trust.RECORDED:
            log.warning(
                "sealpost: first connection to %s: its key %s is now trusted (recorded in %s)",
                name, key_b64, path,
            )

    async def _session(self, connection: Connection) -> Optional[float]:
        """Runs one session until it ends; returns the delay a goaway asked for.
        After a goaway the server drains (acks still count) and closes; the
        delay counts from that close, as in the C++ client."""
        self._conn, self._draining = connection, False
        self.welcome = {**connection.welcome, "server": self.server}
        self._closed_with = None
        self._connected.set()
        for message, _ in list(self._outbox.values()):
            self._send_now(message)
        heartbeat = connection.welcome.get("heartbeatMs")
        silence_limit = max(3 * heartbeat / 1000 if isinstance(heartbeat, int) else 0, 15.0)
        goaway_delay: Optional[float] = None
        close_by: Optional[float] = None  # a draining server that never closes is left
        try:
            while True:
                timeout = silence_limit
                if close_by is not None:
                    timeout = min(timeout, close_by - time.monotonic())
                try:
                    message = await asyncio.wait_for(connection.receive(), max(timeout, 0))
                except asyncio.TimeoutError:
                    log.info("sealpost: server silent or not closing, reconnecting")
                    break
                if message["type"] == "goaway":
                    self._draining = True
                    delay = message.get("reconnectMs")
                    goaway_delay = delay / 1000 if isinstance(delay, int) and delay >= 0 else 1.0
                    close_by = time.monotonic() + GOAWAY_CLOSE_LIMIT
                    log.info("sealpost: goaway (%s), reconnecting %.1f s after the server closes",
                             message.get("reason"), goaway_delay)
                else:
                    self._handle(connection, message)
        except (ConnectionLost, messages.ProtocolError) as e:
            log.info("sealpost: connection lost: %s", e)
        finally:
            self._conn = None
            self._connected.clear()
            self._drop_queued_events()
            await connection.close()
        return goaway_delay

    def _handle(self, connection: Connection, message: Dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "server-event":
            event = messages.parse_server_event(message)
            seen = self._seen.observe(event.event_id)
            request_id = messages.reply_to(event)
            pending = self._requests.get(request_id) if request_id is not None else None
            if pending is not None and pending.future.done():
                pending = None  # timed out or failed: an ordinary event from now on
            if seen is Seen.NEW and pending is not None:
                # a reply to a waiting request: acked now, never queued
                self._seen.mark_acked(event.event_id)
                self._send_now(messages.make("ack", eventId=event.event_id))
                self._take_reply(request_id, pending, event)
            elif seen is Seen.NEW:
                self._events.put_nowait(event)
            elif seen is Seen.ACKED:
                self._send_now(messages.make("ack", eventId=event.event_id))
        elif kind == "ping":
            self._send_now(messages.make("pong", echo=message.get("ts")))
        elif kind == "ack":
            acked = str(message.get("id"))
            if acked in self._requests:
                self._outbox.pop(acked, None)  # stored: not sent again; the reply is still to come
                return
            entry = self._outbox.get(acked)
            if entry and not entry[1].done():
                entry[1].set_result(acked)
        elif kind == "error":
            self._handle_error(message)

    def _handle_error(self, message: Dict[str, Any]) -> None:
        error = SealpostError(
            str(message.get("code", "")), str(message.get("message", "")), bool(message.get("retry"))
        )
        entry = self._outbox.get(str(message.get("id"))) if "id" in message else None
        if entry is not None:
            if error.retry:
                self._resend_later(str(message["id"]))
            elif not entry[1].done():
                entry[1].set_exception(error)
        elif error.code in FATAL_CODES:
            raise error
        elif error.code == "unknown_event":
            log.debug("sealpost: %s", error)  # an ack that raced a reconnect
        else:
            self._closed_with = error.code
            log.warning("sealpost: server error %s", error)  # the server closes; we reconnect

    def _drop_queued_events(self) -> None:
        # Not yet handed out: the next session delivers them again.
        kept = []
        while not self._events.empty():
            item = self._events.get_nowait()
            if isinstance(item, Event):
                self._seen.forget(item.event_id)
            else:
                kept.append(item)
        for item in kept:
            self._events.put_nowait(item)

    def _finish(self, error: Optional[SealpostError]) -> None:
        if error is not None and self._fatal is None:
            log.error("sealpost: giving up: %s", error)
            self._fatal = error
        self._events.put_nowait(_CLOSED)
        failure = self._fatal or SealpostError("closed", "client closed before the server stored it")
        for _, future in self._outbox.values():
            if not future.done():
                future.set_exception(failure)
        failure = self._fatal or SealpostError("closed", "client closed before the reply came")
        for pending in self._requests.values():
            if not pending.future.done():
                pending.future.set_exception(failure)


def server_entries(server: str, servers: Optional[Sequence[str]] = None) -> List[str]:
    """`servers` when given, else `server` split at commas; blanks around
    entries are dropped. ValueError names what is wrong."""
    if servers is None:
        if not server.replace(",", "").strip():
            raise ValueError("no server given")
        entries = [entry.strip() for entry in server.split(",")]
        if "" in entries:
            raise ValueError(f"empty entry in the server list {server!r}")
    else:
        if isinstance(servers, str):
            raise ValueError("servers must be a list of 'host:port' strings")
        entries = [str(entry).strip() for entry in servers]
        if not entries:
            raise ValueError("no server given")
        if "" in entries:
            raise ValueError("empty entry in the server list")
        for entry in entries:
            if "," in entry:
                raise ValueError(f"server list entry {entry!r} contains a comma")
    for i, entry in enumerate(entries):
        _split_server(entry)
        if entry in entries[:i]:
            raise ValueError(f"server {entry!r} is listed twice")
    return entries


def _split_server(server: str) -> Tuple[str, int]:
    host, sep, port = server.rpartition(":")
    if not sep or not host or not port:
        raise ValueError(f"server must be host:port, got {server!r}")
    if host.startswith("[") != host.endswith("]") or host == "[]":
        raise ValueError(f"server must be host:port or [v6]:port, got {server!r}")
    if not port.isdigit() or len(port) > 5 or not 0 < int(port) <= 65535:
        raise ValueError(f"bad port in {server!r}")
    return host[1:-1] if host.startswith("[") else host, int(port)
