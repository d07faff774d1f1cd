"""The key-file format shared with the `sealpost` CLI (docs/PROTOCOL.md, "Key files")."""

from __future__ import annotations

import os
import stat

from . import b64
from .noise import DHLEN, KeyPair

HEADER = "# sealpost static key (X25519). Keep it secret.\n"


class KeyFileError(Exception):
    """The key file is missing, unsafe or malformed (the message holds no key material)."""


def load(path: str) -> KeyPair:
    try:
        mode = os.stat(path).st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyFileError(f"{path}: readable by group or others (chmod 600 it)")
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise KeyFileError(f"{path}: {e.strerror}") from e
    return _parse(path, text)


def write(path: str, key_pair: KeyPair, force: bool = False) -> None:
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    fd = os.open(path, flags, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(
            f"{HEADER}private: {b64.encode(key_pair.private)}\npublic: {b64.encode(key_pair.public)}\n"
        )


def load_or_create(path: str) -> KeyPair:
    """Loads `path`, or creates it with a fresh key pair (mode 0600) when missing."""
    if not os.path.exists(path):
        key_pair = KeyPair.generate()
        try:
            write(path, key_pair)
        except FileExistsError:  # created meanwhile by someone else: use theirs
            return load(path)
        return key_pair
    return load(path)


def _parse(path: str, text: str) -> KeyPair:
    values = {}
    for line in text.splitlines():
        line = line.strip(" \t\r")
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition(":")
        if not sep or name.strip(" \t") not in ("private", "public"):
            raise KeyFileError(f"{path}: unexpected line (expected 'private:' or 'public:')")
        values[name.strip(" \t")] = value.strip(" \t")
    if set(values) != {"private", "public"}:
        raise KeyFileError(f"{path}: needs both a 'private:' and a 'public:' line")
    try:
        private, public = b64.decode(values["private"]), b64.decode(values["public"])
    except ValueError as e:
        raise KeyFileError(f"{path}: a key is not standard padded base64") from e
    if len(private) != DHLEN or len(public) != DHLEN:
        raise KeyFileError(f"{path}: keys must be 32 bytes")
    key_pair = KeyPair.from_private(private)
    if key_pair.public != public:
        raise KeyFileError(f"{path}: the public key is not the one of the private key")
    return key_pair
