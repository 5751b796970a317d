"""Public-key encryption in the age v1 format (age-encryption.org/v1), X25519 recipients only.

For structures that exchange often: no password to dictate, the sender encrypts to the Département's
public key (``age1...``) and only the holder of the identity (``AGE-SECRET-KEY-1...``) can decrypt.
Written with the ``cryptography`` package alone: X25519, HKDF-SHA-256, ChaCha20-Poly1305 in 64 KiB
chunks (the STREAM construction), HMAC-SHA-256 over the header. Files are readable by the reference
``age`` tool and by rage, and we read theirs (tested against the Debian ``age`` package).
"""

from __future__ import annotations

import base64
import hmac
import io
import os
from collections.abc import Iterator
from hashlib import sha256
from typing import IO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from dpa_kit.exceptions import AgeError

MAGIC = b"age-encryption.org/v1"
CHUNK = 64 * 1024
TAG = 16



# --- bech32 (BIP 173), for age1... recipients and AGE-SECRET-KEY-1... identities ---------------------

_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _polymod(values: list[int]) -> int:
    generator = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    check = 1
    for value in values:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            check ^= generator[i] if (top >> i) & 1 else 0
    return check


def _expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convert(data: bytes | list[int], from_bits: int, to_bits: int, pad: bool) -> list[int]:
    acc = bits = 0
    out = []
    maxv = (1 << to_bits) - 1
    for value in data:
        acc = (acc << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((acc >> bits) & maxv)
    if pad and bits:
        out.append((acc << (to_bits - bits)) & maxv)
    elif not pad and (bits >= from_bits or (acc << (to_bits - bits)) & maxv):
        raise AgeError("clé mal formée (bech32)")
    return out


def bech32_encode(hrp: str, data: bytes) -> str:
    values = _convert(data, 8, 5, True)
    polymod = _polymod(_expand(hrp) + values + [0] * 6) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_CHARSET[v] for v in values + checksum)


def bech32_decode(text: str) -> tuple[str, bytes]:
    lowered = text.strip().lower()
    position = lowered.rfind("1")
    if position < 1 or any(c not in _CHARSET for c in lowered[position + 1 :]):
        raise AgeError("clé mal formée : ce n'est pas une clé age (age1... ou AGE-SECRET-KEY-1...)")
    hrp, values = lowered[:position], [_CHARSET.index(c) for c in lowered[position + 1 :]]
    if _polymod(_expand(hrp) + values) != 1:
        raise AgeError("clé mal formée : somme de contrôle fausse (faute de frappe ?)")
    return hrp, bytes(_convert(values[:-6], 5, 8, False))


# --- keys ----------------------------------------------------------------------------------------------


def generate_identity() -> tuple[str, str]:
    """A new identity (``AGE-SECRET-KEY-1...``) and its recipient (``age1...``)."""
    private = X25519PrivateKey.generate()
    raw = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    return bech32_encode("age-secret-key-", raw).upper(), recipient_of(private)


def recipient_of(private: X25519PrivateKey) -> str:
    public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return bech32_encode("age", public)


def parse_recipient(text: str) -> X25519PublicKey:
    hrp, data = bech32_decode(text)
    if hrp != "age" or len(data) != 32:
        raise AgeError("destinataire invalide : une clé publique age commence par « age1 »")
    return X25519PublicKey.from_public_bytes(data)


def parse_identities(text: str) -> list[X25519PrivateKey]:
    """Identities of an identity file (comments and blank lines ignored)."""
    keys = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        hrp, data = bech32_decode(line)
        if hrp != "age-secret-key-" or len(data) != 32:
            raise AgeError("fichier d'identité invalide : une clé privée age commence par « AGE-SECRET-KEY-1 »")
        keys.append(X25519PrivateKey.from_private_bytes(data))
    if not keys:
        raise AgeError("fichier d'identité vide")
    return keys


# --- format ------------------------------------------------------------------------------------------


def _hkdf(ikm: bytes, salt: bytes, info: bytes, length: int = 32) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data).rstrip(b"=")


def _unb64(data: bytes) -> bytes:
    if data.endswith(b"=") or b"\r" in data:
        raise AgeError("en-tête age mal formé (base64)")
    return base64.b64decode(data + b"=" * (-len(data) % 4), validate=True)


def _wrap(data: bytes) -> bytes:
    encoded = _b64(data)
    lines = [encoded[i : i + 64] for i in range(0, len(encoded), 64)] or [b""]
    if len(lines[-1]) == 64:
        lines.append(b"")
    return b"\n".join(lines)


def _nonce(counter: int, last: bool) -> bytes:
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


class AgeWriter(io.RawIOBase):
    """A write-only stream that encrypts to X25519 recipients, in 64 KiB authenticated chunks."""

    def __init__(self, target: IO[bytes], recipients: list[X25519PublicKey]):
        super().__init__()
        self.target = target
        file_key = os.urandom(16)
        header = MAGIC + b"\n"
        for recipient in recipients:
            ephemeral = X25519PrivateKey.generate()
            share = ephemeral.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            theirs = recipient.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            secret = ephemeral.exchange(recipient)
            wrap_key = _hkdf(secret, share + theirs, b"age-encryption.org/v1/X25519")
            body = ChaCha20Poly1305(wrap_key).encrypt(b"\x00" * 12, file_key, None)
            header += b"-> X25519 " + _b64(share) + b"\n" + _wrap(body) + b"\n"
        header += b"---"
        mac = hmac.new(_hkdf(file_key, b"", b"header"), header, sha256).digest()
        target.write(header + b" " + _b64(mac) + b"\n")
        nonce = os.urandom(16)
        target.write(nonce)
        self.aead = ChaCha20Poly1305(_hkdf(file_key, nonce, b"payload"))
        self.buffer = bytearray()
        self.counter = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.buffer += data
        # Keep at least one full chunk back: only at close do we know which chunk is the last.
        while len(self.buffer) > CHUNK:
            self._emit(bytes(self.buffer[:CHUNK]), last=False)
            del self.buffer[:CHUNK]
        return len(data)

    def _emit(self, chunk: bytes, last: bool) -> None:
        self.target.write(self.aead.encrypt(_nonce(self.counter, last), chunk, None))
        self.counter += 1

    def close(self) -> None:
        if not self.closed:
            self._emit(bytes(self.buffer), last=True)
            self.buffer.clear()
        super().close()


def _read_header(source: IO[bytes]) -> tuple[list[tuple[list[bytes], bytes]], bytes, bytes]:
    """Stanzas (arguments, body), the header bytes covered by the MAC, and the MAC."""
    first = source.readline()
    if first.rstrip(b"\n") != MAGIC:
        raise AgeError("ce fichier n'est pas chiffré au format age")
    covered = first
    stanzas: list[tuple[list[bytes], bytes]] = []
    line = source.readline()
    while line.startswith(b"-> "):
        covered += line
        args = line[3:].rstrip(b"\n").split(b" ")
        body = b""
        while True:
            body_line = source.readline()
            if not body_line.endswith(b"\n"):
                raise AgeError("en-tête age tronqué")
            covered += body_line
            chunk = body_line.rstrip(b"\n")
            body += chunk
            if len(chunk) < 64:
                break
        stanzas.append((args, _unb64(body)))
        line = source.readline()
    if not line.startswith(b"--- "):
        raise AgeError("en-tête age mal formé ou tronqué")
    covered += b"---"
    return stanzas, covered, _unb64(line[4:].rstrip(b"\n"))


def decrypt_stream(source: IO[bytes], identities: list[X25519PrivateKey]) -> Iterator[bytes]:
    """The plaintext chunks of an age file; every chunk is authenticated before it is returned."""
    stanzas, covered, mac = _read_header(source)
    file_key = None
    for args, body in stanzas:
        if len(args) != 2 or args[0] != b"X25519":
            continue
        share = _unb64(args[1])
        for identity in identities:
            ours = identity.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            try:
                secret = identity.exchange(X25519PublicKey.from_public_bytes(share))
                wrap_key = _hkdf(secret, share + ours, b"age-encryption.org/v1/X25519")
                file_key = ChaCha20Poly1305(wrap_key).decrypt(b"\x00" * 12, body, None)
                break
            except (InvalidTag, ValueError):
                continue
        if file_key is not None:
            break
    if file_key is None:
        raise AgeError("aucune de vos clés ne peut déchiffrer ce fichier : il a été chiffré pour un autre destinataire")
    expected = hmac.new(_hkdf(file_key, b"", b"header"), covered, sha256).digest()
    if not hmac.compare_digest(expected, mac):
        raise AgeError("en-tête age altéré (contrôle d'intégrité en échec)")
    nonce = source.read(16)
    if len(nonce) != 16:
        raise AgeError("fichier age tronqué")
    aead = ChaCha20Poly1305(_hkdf(file_key, nonce, b"payload"))
    counter = 0
    chunk = source.read(CHUNK + TAG)
    while True:
        following = source.read(CHUNK + TAG)
        last = not following
        try:
            plain = aead.decrypt(_nonce(counter, last), chunk, None)
        except InvalidTag as exc:
            raise AgeError("contenu altéré ou tronqué (contrôle d'intégrité en échec) : demandez un nouvel envoi") from exc
        if plain == b"" and counter > 0:
            raise AgeError("fichier age mal formé (dernier bloc vide)")
        yield plain
        if last:
            return
        chunk = following
        counter += 1


def is_age(path: os.PathLike[str] | str) -> bool:
    with open(path, "rb") as handle:
        return handle.read(len(MAGIC)) == MAGIC
