"""Key files and the known-servers file, compatible with the C++ CLI."""

import os
import pathlib
import subprocess

import pytest

from sealpost import b64, keyfile, known_servers
from sealpost.noise import KeyPair
from stack import BIN_DIR


def test_a_key_made_by_sealpost_keygen_loads_as_is(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "101.key"
    public = subprocess.run([str(BIN_DIR / "sealpost"), "keygen", "--out", str(path)],
                            check=True, capture_output=True, text=True).stdout.strip()
    assert b64.encode(keyfile.load(str(path)).public) == public


def test_a_key_written_here_is_read_by_sealpost_pubkey(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "k.key"
    pair = keyfile.load_or_create(str(path))
    assert os.stat(path).st_mode & 0o777 == 0o600
    printed = subprocess.run([str(BIN_DIR / "sealpost"), "pubkey", "--key", str(path)],
                             check=True, capture_output=True, text=True)
    assert printed.stdout.strip() == b64.encode(pair.public)
    assert keyfile.load_or_create(str(path)) == pair


def _write(path: pathlib.Path, text: str, mode: int = 0o600) -> str:
    path.write_text(text)
    os.chmod(path, mode)
    return str(path)


def test_key_files_readable_by_others_or_inconsistent_are_refused(tmp_path: pathlib.Path) -> None:
    pair, other = KeyPair.generate(), KeyPair.generate()
    good = f"# c\n\n private:\t{b64.encode(pair.private)} \npublic: {b64.encode(pair.public)}\n"
    assert keyfile.load(_write(tmp_path / "ok", good)) == pair
    with pytest.raises(keyfile.KeyFileError, match="group or others"):
        keyfile.load(_write(tmp_path / "open", good, 0o644))
    mismatch = f"private: {b64.encode(pair.private)}\npublic: {b64.encode(other.public)}\n"
    with pytest.raises(keyfile.KeyFileError, match="not the one"):
        keyfile.load(_write(tmp_path / "mismatch", mismatch))
    with pytest.raises(keyfile.KeyFileError, match="both"):
        keyfile.load(_write(tmp_path / "half", f"private: {b64.encode(pair.private)}\n"))
    unpadded = good.replace("=", "")
    with pytest.raises(keyfile.KeyFileError, match="base64"):
        keyfile.load(_write(tmp_path / "unpadded", unpadded))
    for name in ("open", "mismatch"):  # no key material in the messages
        try:
            keyfile.load(str(tmp_path / name))
        except keyfile.KeyFileError as e:
            assert b64.encode(pair.private) not in str(e)


def test_known_servers_records_first_matches_then_refuses_a_change(tmp_path: pathlib.Path) -> None:
    path = str(tmp_path / "sub" / "known_servers")
    key, changed = b64.encode(KeyPair.generate().public), b64.encode(KeyPair.generate().public)
    assert known_servers.check(path, "a:1", key)[0] is known_servers.Trust.RECORDED
    assert known_servers.check(path, "a:1", key)[0] is known_servers.Trust.MATCH
    assert known_servers.check(path, "b:2", changed)[0] is known_servers.Trust.RECORDED
    trust, detail = known_servers.check(path, "a:1", changed)
    assert trust is known_servers.Trust.MISMATCH and "line 1" in detail
    pathlib.Path(path).write_text("# comment\n\nother:1 x\n" + f"a:1 {key}\n")
    assert known_servers.check(path, "a:1", key)[0] is known_servers.Trust.MATCH
