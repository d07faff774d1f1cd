"""Framing, transport rekeying, dedupe and backoff without a server."""

import base64
import random

import pytest

from sealpost.backoff import Backoff
from sealpost.dedupe import DedupeWindow, Seen
from sealpost.frames import FrameReader, FrameTooLarge, encode
from sealpost.noise import CipherState, parse_protocol_name
from sealpost.transport import Transport, TransportError


def test_frames_split_and_merged_anyhow_come_out_whole() -> None:
    stream = encode(b"one") + b"\x00" + encode(b"two") + encode(b"three")
    for step in (1, 2, 5, len(stream)):
        reader, frames = FrameReader(100), []
        for i in range(0, len(stream), step):
            frames += reader.feed(stream[i : i + step])
        assert frames == [b"one", b"two", b"three"]


def test_too_much_without_a_terminator_is_refused() -> None:
    reader = FrameReader(8)
    reader.feed(b"12345678")
    with pytest.raises(FrameTooLarge):
        reader.feed(b"9")


def _pair(protocol: str):
    suite = parse_protocol_name(protocol)
    key = bytes(range(32))
    return Transport(CipherState(suite, key), CipherState(suite, bytes(32))), Transport(
        CipherState(suite, bytes(32)), CipherState(suite, key)
    )


@pytest.mark.parametrize("protocol", ["Noise_XX_25519_AESGCM_SHA256", "Noise_XX_25519_ChaChaPoly_BLAKE2b"])
def test_both_sides_rekey_at_nonce_65536_and_stay_in_step(protocol: str) -> None:
    sender, receiver = _pair(protocol)
    suite = parse_protocol_name(protocol)
    plain = CipherState(suite, bytes(range(32)))  # the same key, never rekeyed
    for cipher in (sender._send, receiver._receive, plain):
        cipher.n = 65534  # skip ahead; the two messages below reach the boundary
    for _ in range(2):
        assert receiver.open(sender.seal(b"x")) == b"x"
        plain.encrypt_with_ad(b"", b"x")
    frame = sender.seal(b"after")  # nonce 65536: under the new key
    assert receiver.open(frame) == b"after"
    assert base64.b64decode(frame) != plain.encrypt_with_ad(b"", b"after")


def test_a_replayed_frame_does_not_decrypt() -> None:
    sender, receiver = _pair("Noise_XX_25519_AESGCM_SHA256")
    frame = sender.seal(b"once")
    receiver.open(frame)
    with pytest.raises(TransportError):
        receiver.open(frame)
    with pytest.raises(TransportError):
        receiver.open(b"not base64!")


def test_dedupe_hands_out_once_and_re_acks_only_acked_events() -> None:
    window = DedupeWindow(capacity=2)
    assert window.observe("1-0") is Seen.NEW
    assert window.observe("1-0") is Seen.TAKEN
    window.mark_acked("1-0")
    assert window.observe("1-0") is Seen.ACKED
    window.observe("2-0")
    window.observe("3-0")  # capacity 2: the oldest is forgotten
    assert window.observe("1-0") is Seen.NEW


def test_backoff_grows_to_its_cap_with_jitter_and_resets() -> None:
    backoff = Backoff(0.1, 1.0, random.Random(7))
    delays = [backoff.next() for _ in range(10)]
    assert all(0.1 <= d <= 1.0 for d in delays)
    assert backoff.ceiling() == 1.0
    assert len(set(delays)) == len(delays)
    backoff.reset()
    assert backoff.ceiling() == pytest.approx(0.1)
