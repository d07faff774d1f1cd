"""sealpost/1 messages (docs/PROTOCOL.md §4): JSON objects with "type" and "ts"."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional

RESERVED_EVENT_FIELDS = frozenset({"client", "id", "ts", "from"})
MAX_EVENT_FIELDS = 32
MAX_ID_BYTES = 128
CLIENT_ID = re.compile(r"[A-Za-z0-9_.\-]{1,64}")


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


def parse_server_event(message: Mapping[str, Any]) -> Event:
    event_id, attempt, body = message.get("eventId"), message.get("attempt"), message.get("event")
    if not isinstance(event_id, str) or not event_id:
        raise ProtocolError("server-event without a string 'eventId'")
    if not isinstance(body, dict):
        raise ProtocolError("server-event without an 'event' object")
    return Event(event_id, attempt if isinstance(attempt, int) else 1, dict(body))


def client_event(
    event_id: str, type_: str, data: Optional[str], extra: Optional[Mapping[str, str]]
) -> Dict[str, Any]:
    """Builds a client-event, refusing locally what the server would answer with
    bad_message and a closed connection (a resend would only repeat that)."""
    if not 1 <= len(event_id.encode("utf-8")) <= MAX_ID_BYTES:
        raise ValueError(f"client-event id must be 1 to {MAX_ID_BYTES} bytes")
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
    return make("client-event", id=event_id, event=body)
