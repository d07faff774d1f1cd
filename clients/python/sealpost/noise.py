"""Noise Protocol Framework (revision 34): the parts sealpost needs.

DH 25519; ciphers AESGCM and ChaChaPoly; hashes SHA256, SHA512, BLAKE2s and
BLAKE2b; handshake patterns NN, IK and XX. The extra patterns and suites exist
so the whole cacophony vector file can check this code, not for the wire.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
)

DHLEN = 32
TAGLEN = 16
MAX_NONCE = 2**64 - 1


class NoiseError(Exception):
    """A handshake or transport message did not verify, or misuse of a state."""


# --- DH -------------------------------------------------------------------


# X25519(k, 9) is k's public key (RFC 7748 §6.1). Computing it so takes a DH
# (~40 us) where public_key() round-trips through DER (~240 us) in the
# cryptography releases Debian ships; a new ephemeral key needs it every
# handshake.
_BASE_POINT = X25519PublicKey.from_public_bytes(bytes([9]) + bytes(31))


class KeyPair:
    """An X25519 key pair around the one OpenSSL key object made for it.

    Loading a raw private key into OpenSSL costs about half a millisecond,
    over ten times a DH, so the object is made once, when the key is generated or
    loaded, and every DH with the key reuses it."""

    __slots__ = ("key", "public")

    def __init__(self, key: X25519PrivateKey) -> None:
        self.key = key
        self.public: bytes = key.exchange(_BASE_POINT)

    @staticmethod
    def generate() -> "KeyPair":
        return KeyPair(X25519PrivateKey.generate())

    @staticmethod
    def from_private(private: bytes) -> "KeyPair":
        if len(private) != DHLEN:
            raise ValueError("an X25519 private key is 32 bytes")
        return KeyPair(X25519PrivateKey.from_private_bytes(private))

    @property
    def private(self) -> bytes:
        """The raw private key, for writing a key file: computed on demand
        because ephemeral keys never need it."""
        return self.key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, KeyPair):
            return NotImplemented
        return hmac.compare_digest(self.private, other.private)

    def __hash__(self) -> int:  # equal private keys have equal public keys
        return hash(self.public)

    def __repr__(self) -> str:  # never the private key
        return f"KeyPair(public={self.public.hex()})"


def dh(key_pair: KeyPair, public: bytes) -> bytes:
    # Building a public key object from raw bytes is cheap (a few
    # microseconds), unlike a private one; remote keys stay plain bytes.
    try:
        return key_pair.key.exchange(X25519PublicKey.from_public_bytes(public))
    except ValueError as e:  # low-order point: the shared secret would be zero
        raise NoiseError("invalid DH public key") from e


# --- cipher functions -------------------------------------------------------

# encrypt(k, n, ad, plaintext) -> ciphertext; decrypt raises NoiseError
CipherFn = Callable[[bytes, int, bytes, bytes], bytes]


def _aesgcm_nonce(n: int) -> bytes:
    return b"\x00" * 4 + n.to_bytes(8, "big")


def _chachapoly_nonce(n: int) -> bytes:
    return b"\x00" * 4 + n.to_bytes(8, "little")


def _make_cipher(aead: type, nonce: Callable[[int], bytes]) -> Tuple[CipherFn, CipherFn]:
    def encrypt(k: bytes, n: int, ad: bytes, plaintext: bytes) -> bytes:
        return aead(k).encrypt(nonce(n), plaintext, ad)

    def decrypt(k: bytes, n: int, ad: bytes, ciphertext: bytes) -> bytes:
        try:
            return aead(k).decrypt(nonce(n), ciphertext, ad)
        except InvalidTag as e:
            raise NoiseError("message did not decrypt") from e

    return encrypt, decrypt


CIPHERS: Dict[str, Tuple[CipherFn, CipherFn]] = {
    "AESGCM": _make_cipher(AESGCM, _aesgcm_nonce),
    "ChaChaPoly": _make_cipher(ChaCha20Poly1305, _chachapoly_nonce),
}

HASHES: Dict[str, Callable[..., "hashlib._Hash"]] = {
    "SHA256": hashlib.sha256,
    "SHA512": hashlib.sha512,
    "BLAKE2s": hashlib.blake2s,
    "BLAKE2b": hashlib.blake2b,
}


@dataclass(frozen=True)
class Suite:
    name: str  # the full protocol name, e.g. Noise_XX_25519_AESGCM_SHA256
    pattern: str
    encrypt: CipherFn
    decrypt: CipherFn
    hash_fn: Callable[..., "hashlib._Hash"]

    @property
    def hashlen(self) -> int:
        return self.hash_fn().digest_size

    def hash(self, data: bytes) -> bytes:
        return self.hash_fn(data).digest()

    def hkdf(self, chaining_key: bytes, ikm: bytes, outputs: int) -> List[bytes]:
        temp = hmac.new(chaining_key, ikm, self.hash_fn).digest()
        out: List[bytes] = []
        previous = b""
        for i in range(1, outputs + 1):
            previous = hmac.new(temp, previous + bytes([i]), self.hash_fn).digest()
            out.append(previous)
        return out


def parse_protocol_name(name: str) -> Suite:
    parts = name.split("_")
    if len(parts) != 5 or parts[0] != "Noise" or parts[2] != "25519":
        raise ValueError(f"unsupported Noise protocol {name!r}")
    _, pattern, _, cipher, hash_name = parts
    if pattern not in PATTERNS or cipher not in CIPHERS or hash_name not in HASHES:
        raise ValueError(f"unsupported Noise protocol {name!r}")
    encrypt, decrypt = CIPHERS[cipher]
    return Suite(name, pattern, encrypt, decrypt, HASHES[hash_name])


# --- CipherState / SymmetricState (Noise §5.1, §5.2) ---------------------------


class CipherState:
    def __init__(self, suite: Suite, key: Optional[bytes] = None) -> None:
        self.suite = suite
        self.k = key
        self.n = 0

    def has_key(self) -> bool:
        return self.k is not None

    def encrypt_with_ad(self, ad: bytes, plaintext: bytes) -> bytes:
        if self.k is None:
            return plaintext
        self._check_nonce()
        ciphertext = self.suite.encrypt(self.k, self.n, ad, plaintext)
        self.n += 1
        return ciphertext

    def decrypt_with_ad(self, ad: bytes, ciphertext: bytes) -> bytes:
        if self.k is None:
            return ciphertext
        self._check_nonce()
        plaintext = self.suite.decrypt(self.k, self.n, ad, ciphertext)
        self.n += 1  # only after success: a failed message leaves the state alone
        return plaintext

    def rekey(self) -> None:
        if self.k is None:
            raise NoiseError("rekey without a key")
        self.k = self.suite.encrypt(self.k, MAX_NONCE, b"", b"\x00" * 32)[:32]

    def _check_nonce(self) -> None:
        if self.n >= MAX_NONCE:
            raise NoiseError("nonce exhausted")


class SymmetricState:
    def __init__(self, suite: Suite) -> None:
        self.suite = suite
        name = suite.name.encode()
        hashlen = suite.hashlen
        self.h = name.ljust(hashlen, b"\x00") if len(name) <= hashlen else suite.hash(name)
        self.ck = self.h
        self.cipher = CipherState(suite)

    def mix_key(self, ikm: bytes) -> None:
        self.ck, temp_k = self.suite.hkdf(self.ck, ikm, 2)
        self.cipher = CipherState(self.suite, temp_k[:32])

    def mix_hash(self, data: bytes) -> None:
        self.h = self.suite.hash(self.h + data)

    def encrypt_and_hash(self, plaintext: bytes) -> bytes:
        ciphertext = self.cipher.encrypt_with_ad(self.h, plaintext)
        self.mix_hash(ciphertext)
        return ciphertext

    def decrypt_and_hash(self, ciphertext: bytes) -> bytes:
        plaintext = self.cipher.decrypt_with_ad(self.h, ciphertext)
        self.mix_hash(ciphertext)
        return plaintext

    def split(self) -> Tuple[CipherState, CipherState]:
        k1, k2 = self.suite.hkdf(self.ck, b"", 2)
        return CipherState(self.suite, k1[:32]), CipherState(self.suite, k2[:32])


# --- HandshakeState (Noise §5.3) ---------------------------------------------

# pre-messages (initiator's, responder's) and message tokens, per pattern
PATTERNS: Dict[str, Tuple[Tuple[Sequence[str], Sequence[str]], List[List[str]]]] = {
    "NN": (((), ()), [["e"], ["e", "ee"]]),
    "IK": (((), ("s",)), [["e", "es", "s", "ss"], ["e", "ee", "se"]]),
    "XX": (((), ()), [["e"], ["e", "ee", "s", "es"], ["s", "se"]]),
}


class HandshakeState:
    """One side of a handshake. write_message/read_message alternate as the
    pattern says; when `complete`, `split()` gives (initiator->responder,
    responder->initiator) cipher states."""

    def __init__(
        self,
        protocol_name: str,
        initiator: bool,
        prologue: bytes = b"",
        s: Optional[KeyPair] = None,
        rs: Optional[bytes] = None,
        e: Optional[KeyPair] = None,  # fixed ephemeral: test vectors only
    ) -> None:
        self.suite = parse_protocol_name(protocol_name)
        self.symmetric = SymmetricState(self.suite)
        self.initiator = initiator
        self.s, self.rs, self.e = s, rs, e
        self.re: Optional[bytes] = None
        (init_pre, resp_pre), messages = PATTERNS[self.suite.pattern]
        self.messages = [list(m) for m in messages]
        self.symmetric.mix_hash(prologue)
        for token in init_pre:  # only "s" appears in pre-messages here
            assert token == "s"
            self.symmetric.mix_hash(self._public_of(initiator_side=True))
        for token in resp_pre:
            assert token == "s"
            self.symmetric.mix_hash(self._public_of(initiator_side=False))
        self.index = 0

    @property
    def complete(self) -> bool:
        return self.index >= len(self.messages)

    @property
    def handshake_hash(self) -> bytes:
        return self.symmetric.h

    def remote_static(self) -> Optional[bytes]:
        return self.rs

    def write_message(self, payload: bytes = b"") -> bytes:
        self._check_turn(writing=True)
        out = bytearray()
        for token in self.messages[self.index]:
            if token == "e":
                if self.e is None:
                    self.e = KeyPair.generate()
                out += self.e.public
                self.symmetric.mix_hash(self.e.public)
            elif token == "s":
                if self.s is None:
                    raise NoiseError("no static key")
                out += self.symmetric.encrypt_and_hash(self.s.public)
            else:
                self.symmetric.mix_key(self._dh_token(token))
        out += self.symmetric.encrypt_and_hash(payload)
        self.index += 1
        return bytes(out)

    def read_message(self, message: bytes) -> bytes:
        self._check_turn(writing=False)
        rest = memoryview(message)
        for token in self.messages[self.index]:
            if token == "e":
                rest = self._take(rest, DHLEN)
                self.re = bytes(self._taken)
                self.symmetric.mix_hash(self.re)
            elif token == "s":
                size = DHLEN + (TAGLEN if self.symmetric.cipher.has_key() else 0)
                rest = self._take(rest, size)
                self.rs = self.symmetric.decrypt_and_hash(bytes(self._taken))
            else:
                self.symmetric.mix_key(self._dh_token(token))
        payload = self.symmetric.decrypt_and_hash(bytes(rest))
        self.index += 1
        return payload

    def split(self) -> Tuple[CipherState, CipherState]:
        if not self.complete:
            raise NoiseError("handshake not complete")
        return self.symmetric.split()

    def _take(self, rest: memoryview, size: int) -> memoryview:
        if len(rest) < size:
            raise NoiseError("handshake message too short")
        self._taken = rest[:size]
        return rest[size:]

    def _dh_token(self, token: str) -> bytes:
        # token "xy": x is the initiator's key, y the responder's
        mine_first = self.initiator
        local_kind, remote_kind = (token[0], token[1]) if mine_first else (token[1], token[0])
        local = self.e if local_kind == "e" else self.s
        remote = self.re if remote_kind == "e" else self.rs
        if local is None or remote is None:
            raise NoiseError(f"missing key for {token}")
        return dh(local, remote)

    def _public_of(self, initiator_side: bool) -> bytes:
        key = (self.s.public if self.s else None) if initiator_side == self.initiator else self.rs
        if key is None:
            raise NoiseError("pre-message key missing")
        return key

    def _check_turn(self, writing: bool) -> None:
        if self.complete:
            raise NoiseError("handshake already complete")
        initiator_turn = self.index % 2 == 0
        if (initiator_turn == self.initiator) != writing:
            raise NoiseError("not this side's turn")
