"""Trust on first use: the known-servers file, like ssh's known_hosts.

Lines are `<name> <base64 key>`; `#` starts a comment. The same file and format
as the `sealpost` CLI (`~/.sealpost/known_servers`).
"""

from __future__ import annotations

import enum
import hmac
import os
from typing import Tuple


class Trust(enum.Enum):
    MATCH = "match"  # the recorded key is the presented one
    RECORDED = "recorded"  # first use: the key was appended
    MISMATCH = "mismatch"  # a different key is recorded: refuse


def default_path() -> str:
    return os.path.join(os.environ.get("HOME") or ".", ".sealpost", "known_servers")


def check(path: str, name: str, key_b64: str) -> Tuple[Trust, str]:
    """Compares `key_b64` with the entry for `name`, recording it when absent.
    Returns the outcome and a one-line detail for a mismatch."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        lines = []
    for number, line in enumerate(lines, start=1):
        fields = line.strip().split(None, 1)
        if not fields or fields[0].startswith("#") or len(fields) < 2 or fields[0] != name:
            continue
        if hmac.compare_digest(fields[1].strip().encode(), key_b64.encode()):
            return Trust.MATCH, ""
        return Trust.MISMATCH, (
            f"the key recorded for {name} in {path} (line {number}) differs; "
            "remove that line if the change is expected"
        )
    _append(path, f"{name} {key_b64}\n")
    return Trust.RECORDED, ""


def _append(path: str, line: str) -> None:
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, mode=0o700, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as f:
        f.write(line)
