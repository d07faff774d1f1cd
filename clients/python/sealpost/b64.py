"""Strict standard base64 (RFC 4648 §4, padded, no whitespace), as the protocol requires."""

import base64
import binascii


def encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def decode(text: str) -> bytes:
    """Raises ValueError unless `text` is canonical padded standard base64."""
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as e:
        raise ValueError("not standard padded base64") from e
    if base64.b64encode(data).decode("ascii") != text:  # non-zero pad bits, missing '='
        raise ValueError("not canonical base64")
    return data
