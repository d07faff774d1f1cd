"""The Noise code against the cacophony vectors the C++ suite also runs."""

import json
import pathlib
from typing import Any, Dict

import pytest

from sealpost.noise import HandshakeState, KeyPair, NoiseError

VECTORS = pathlib.Path(__file__).resolve().parents[3] / "tests/vectors/noise-cacophony-subset.json"


def _load() -> list:
    return json.loads(VECTORS.read_text())["vectors"]


def _key(vector: Dict[str, Any], name: str):
    return KeyPair.from_private(bytes.fromhex(vector[name])) if name in vector else None


def _sides(v: Dict[str, Any]):
    init = HandshakeState(
        v["protocol_name"],
        initiator=True,
        prologue=bytes.fromhex(v["init_prologue"]),
        s=_key(v, "init_static"),
        rs=bytes.fromhex(v["init_remote_static"]) if "init_remote_static" in v else None,
        e=_key(v, "init_ephemeral"),
    )
    resp = HandshakeState(
        v["protocol_name"],
        initiator=False,
        prologue=bytes.fromhex(v["resp_prologue"]),
        s=_key(v, "resp_static"),
        rs=bytes.fromhex(v["resp_remote_static"]) if "resp_remote_static" in v else None,
        e=_key(v, "resp_ephemeral"),
    )
    return init, resp


@pytest.mark.parametrize("vector", _load(), ids=lambda v: v["protocol_name"])
def test_vector(vector: Dict[str, Any]) -> None:
    init, resp = _sides(vector)
    transport = None
    for i, message in enumerate(vector["messages"]):
        payload = bytes.fromhex(message["payload"])
        expected = bytes.fromhex(message["ciphertext"])
        initiator_sends = i % 2 == 0
        if transport is None:
            sender, receiver = (init, resp) if initiator_sends else (resp, init)
            assert sender.write_message(payload) == expected
            assert receiver.read_message(expected) == payload
            if init.complete:
                assert resp.complete
                assert init.handshake_hash.hex() == vector["handshake_hash"]
                assert resp.handshake_hash == init.handshake_hash
                i_send, i_recv = init.split()
                r_recv, r_send = resp.split()
                transport = {True: (i_send, r_recv), False: (r_send, i_recv)}
        else:
            enc, dec = transport[initiator_sends]
            assert enc.encrypt_with_ad(b"", payload) == expected
            assert dec.decrypt_with_ad(b"", expected) == payload
    assert transport is not None, "vector ended before the handshake completed"


def test_vector_file_covers_the_sealpost_suites() -> None:
    names = {v["protocol_name"] for v in _load()}
    assert "Noise_XX_25519_AESGCM_SHA256" in names
    assert "Noise_XX_25519_ChaChaPoly_BLAKE2b" in names


def test_a_flipped_bit_in_a_handshake_message_is_refused() -> None:
    v = next(x for x in _load() if x["protocol_name"] == "Noise_XX_25519_AESGCM_SHA256")
    init, resp = _sides(v)
    resp.read_message(init.write_message(b""))
    message2 = bytearray(resp.write_message(b""))
    message2[40] ^= 1
    with pytest.raises(NoiseError):
        init.read_message(bytes(message2))
