"""sealpost/1 messages (docs/PROTOCOL.md §4): JSON objects with "type" and "ts"."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Tuple

RESERVED_EVENT_FIELDS = frozenset({"client", "id", "ts", "from", "to"})
MAX_EVENT_FIELDS = 32
MAX_ID_BYTES = 128
CLIENT_ID = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
NAME = CLIENT_ID  # group and method names (§6) have the same alphabet and length
GROUP_PREFIX = "group:"
NO_PARAMS: Any = object()  # request() without params: the field is left out


class ProtocolError(Exception):
    """The peer sent something the protocol does not allow."""


def now_ms() -> int:
    return int(time.time() * 1000)


def encode(message: Mapping[str, Any]) -> bytes:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def decode(frame: bytes) -> Dict[str, Any]:
    try:
        message = json.loads(frame.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise ProtocolError("message is not UTF-8 JSON") from e
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise ProtocolError("message is not a JSON object with a string 'type'")
    return message


def make(type_: str, **fields: Any) -> Dict[str, Any]:
    return {"type": type_, "ts": now_ms(), **fields}


@dataclass(frozen=True)
class Event:
    """One server-event. `fields` holds every stream field, `type` and `data` included."""

    event_id: str
    attempt: int
    fields: Mapping[str, str] = field(default_factory=dict)

    @property
    def type(self) -> str:
        return self.fields.get("type", "")

    @property
    def data(self) -> str:
        return self.fields.get("data", "")


@dataclass(frozen=True)
class Reply:
    """The final reply to a request (§6), with every reply event for it."""

    request_id: str
    parts: Tuple[Event, ...]  # in arrival order: the partial replies, then the final one

    @property
    def event(self) -> Event:
        """The final reply event."""
        return self.parts[-1]

    @property
    def data(self) -> str:
        return self.event.data

    @property
    def fields(self) -> Mapping[str, str]:
        return self.event.fields


def parse_server_event(message: Mapping[str, Any]) -> Event:
    event_id, attempt, body = message.get("eventId"), message.get("attempt"), message.get("event")
    if not isinstance(event_id, str) or not event_id:
        raise ProtocolError("server-event without a string 'eventId'")
    if not isinstance(body, dict):
        raise ProtocolError("server-event without an 'event' object")
    return Event(event_id, attempt if isinstance(attempt, int) else 1, dict(body))


def client_event(
    event_id: str, type_: str, data: Optional[str], extra: Optional[Mapping[str, str]],
    to: Optional[str] = None,
) -> Dict[str, Any]:
    """Builds a client-event, refusing locally what the server would answer with
    bad_message and a closed connection (a resend would only repeat that).
    `to` (a client id or "group:<name>") makes it a direct or group message."""
    _check_id(event_id)
    if to is not None:
        check_target(to)
    if not isinstance(type_, str) or not type_:
        raise ValueError("client-event type must be a non-empty string")
    body: Dict[str, str] = {"type": type_}
    if data is not None:
        body["data"] = data
    for name, value in (extra or {}).items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise ValueError("client-event field names and values must be strings")
        if not name or name in RESERVED_EVENT_FIELDS or name in ("type", "data"):
            raise ValueError(f"client-event field {name!r} is empty, reserved or repeated")
        body[name] = value
    if len(body) > MAX_EVENT_FIELDS:
        raise ValueError(f"a client-event has at most {MAX_EVENT_FIELDS} fields")
    if to is None:
        return make("client-event", id=event_id, event=body)
    return make("client-event", id=event_id, to=to, event=body)


def request(request_id: str, method: str, params: Any = NO_PARAMS) -> Dict[str, Any]:
    """Builds a request (§6); `params` is any JSON value, left out when not given."""
    _check_id(request_id)
    if not isinstance(method, str) or not NAME.fullmatch(method):
        raise ValueError("request method must be 1-64 characters from A-Z a-z 0-9 _ . -")
    if params is NO_PARAMS:
        return make("request", id=request_id, method=method)
    try:
        json.dumps(params, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise ValueError(f"request params must be a JSON value: {e}") from e
    return make("request", id=request_id, method=method, params=params)


def check_target(to: str) -> None:
    """A message's target: "<client id>" or "group:<name>"; raises ValueError."""
    name = to[len(GROUP_PREFIX):] if isinstance(to, str) and to.startswith(GROUP_PREFIX) else to
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise ValueError(f'to must be a client id or "group:<name>" (1-64 of A-Z a-z 0-9 _ . -), got {to!r}')


def reply_to(event: Event) -> Optional[str]:
    """The request id a server-event answers, or None: a reply has type
    `reply` and a string `re`, and no `from` (that is a direct message)."""
    re_ = event.fields.get("re")
    if event.type != "reply" or not isinstance(re_, str) or "from" in event.fields:
        return None
    return re_


def _check_id(event_id: str) -> None:
    if not 1 <= len(event_id.encode("utf-8")) <= MAX_ID_BYTES:
        raise ValueError(f"client-event id must be 1 to {MAX_ID_BYTES} bytes")
