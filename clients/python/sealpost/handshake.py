"""The initiator's side of the sealpost handshake (docs/PROTOCOL.md §2), free
of I/O: frames in, frames out."""

from __future__ import annotations

import json
from typing import Any, Callable, Dict

from . import b64, messages
from .noise import HandshakeState, KeyPair, NoiseError
from .transport import Transport

PROLOGUE = b"sealpost/1"
DEFAULT_PROTOCOL = "Noise_XX_25519_AESGCM_SHA256"
PROTOCOLS = (DEFAULT_PROTOCOL, "Noise_XX_25519_ChaChaPoly_BLAKE2b")


class PlaintextError(Exception):
    """An unauthenticated error frame: anyone on the path could have sent it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code


class HandshakeFailed(Exception):
    """Message 2 did not verify or was malformed."""


def parse_plaintext(frame: bytes) -> Dict[str, Any]:
    """A plaintext JSON frame; an `error` becomes PlaintextError."""
    try:
        message = messages.decode(frame)
    except messages.ProtocolError as e:
        raise HandshakeFailed(str(e)) from e
    if message["type"] == "error":
        raise PlaintextError(str(message.get("code", "")), str(message.get("message", "")))
    return message


class Initiator:
    """first_frame() -> read_second(frame) -> transport(). `check_server_key`
    receives the server's static key after message 2 and raises to refuse it,
    so nothing naming the client leaves before the key is accepted."""

    def __init__(
        self,
        static: KeyPair,
        client_id: str,
        check_server_key: Callable[[bytes], None],
        protocol: str = DEFAULT_PROTOCOL,
    ) -> None:
        if protocol not in PROTOCOLS:
            raise ValueError(f"protocol must be one of {', '.join(PROTOCOLS)}")
        if not messages.CLIENT_ID.fullmatch(client_id):
            raise ValueError("client ids are 1-64 characters from A-Z a-z 0-9 _ . -")
        self._protocol = protocol
        self._client_id = client_id
        self._check_server_key = check_server_key
        self._state = HandshakeState(protocol, initiator=True, prologue=PROLOGUE, s=static)

    def first_frame(self) -> bytes:
        msg = b64.encode(self._state.write_message(b""))
        return messages.encode(messages.make("handshake", protocol=self._protocol, msg=msg))

    def read_second(self, frame: bytes) -> bytes:
        """Verifies message 2 and checks the server key; returns frame 3."""
        message = parse_plaintext(frame)
        if message["type"] != "handshake" or not isinstance(message.get("msg"), str):
            raise HandshakeFailed("expected a handshake message")
        try:
            self._state.read_message(b64.decode(message["msg"]))
        except (ValueError, NoiseError) as e:
            raise HandshakeFailed("message 2 did not verify") from e
        server_key = self._state.remote_static()
        assert server_key is not None
        self._check_server_key(server_key)
        payload = json.dumps({"client": self._client_id}).encode("utf-8")
        msg = b64.encode(self._state.write_message(payload))
        return messages.encode(messages.make("handshake", msg=msg))

    def transport(self) -> Transport:
        send, receive = self._state.split()
        return Transport(send, receive)
