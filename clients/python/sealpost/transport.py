"""The encrypted transport after the handshake (docs/PROTOCOL.md §3):
each frame is base64(EncryptWithAd("", json)); both directions rekey before
every nonce that is a non-zero multiple of 65536."""

from __future__ import annotations

from . import b64
from .noise import CipherState, NoiseError

REKEY_INTERVAL = 65536
MAX_PLAINTEXT = 65535 - 16


class TransportError(Exception):
    """A frame was not base64 or did not decrypt: the channel is out of step."""


class Transport:
    def __init__(self, send: CipherState, receive: CipherState) -> None:
        self._send = send
        self._receive = receive

    def seal(self, plaintext: bytes) -> bytes:
        if len(plaintext) > MAX_PLAINTEXT:
            raise ValueError(f"message of {len(plaintext)} bytes exceeds {MAX_PLAINTEXT}")
        _rekey_if_due(self._send)
        return b64.encode(self._send.encrypt_with_ad(b"", plaintext)).encode("ascii")

    def open(self, frame: bytes) -> bytes:
        try:
            ciphertext = b64.decode(frame.decode("ascii"))
        except (UnicodeDecodeError, ValueError) as e:
            raise TransportError("frame is not base64") from e
        _rekey_if_due(self._receive)
        try:
            return self._receive.decrypt_with_ad(b"", ciphertext)
        except NoiseError as e:
            raise TransportError("frame did not decrypt") from e


def _rekey_if_due(cipher: CipherState) -> None:
    if cipher.n > 0 and cipher.n % REKEY_INTERVAL == 0:
        cipher.rekey()
