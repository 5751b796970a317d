"""Public-key encryption in the age v1 format (age-encryption.org/v1), X25519 recipients, with pyrage.

For structures that exchange often: no password to dictate, the sender encrypts to the Département's
public key (``age1...``) and only the holder of the identity (``AGE-SECRET-KEY-1...``) can decrypt.
The format is implemented by ``pyrage`` (bindings to rage, the Rust implementation); files are read
and written as streams (peak memory about 11 MiB on a 2 GB file, see ``benchmarks/run.py age``) and
are interchangeable with the reference ``age`` tool. pyrage's errors become :class:`AgeError` in French.

Two shapes of streaming: :func:`encrypt_stream` / :func:`decrypt_stream` copy from a readable file to a
writable one; :class:`AgeWriter` (a writable stream, for a zip written into it) and
:func:`decrypt_chunks` (an iterator of plaintext, for a consumer that checks sizes as it goes) run
pyrage in a worker thread joined to the caller by a pipe.
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
from collections.abc import Iterable, Iterator
from typing import IO, Any

import pyrage
from pyrage import x25519

from dpa_kit.exceptions import AgeError

__all__ = [
    "MAGIC",
    "AgeError",
    "AgeWriter",
    "decrypt_chunks",
    "decrypt_stream",
    "encrypt_stream",
    "generate_identity",
    "is_age",
    "parse_identities",
    "parse_recipient",
]

MAGIC = b"age-encryption.org/v1"
_CHUNK = 1 << 20

Recipient = x25519.Recipient
Identity = x25519.Identity


# --- keys ----------------------------------------------------------------------------------------------


def generate_identity() -> tuple[str, str]:
    """A new identity (``AGE-SECRET-KEY-1...``) and its recipient (``age1...``)."""
    identity = x25519.Identity.generate()
    return str(identity), str(identity.to_public())


def parse_recipient(text: str) -> Any:
    """The X25519 recipient of a public key ``age1...``; AgeError in French if it is not one."""
    text = text.strip()
    try:
        return x25519.Recipient.from_str(text)
    except pyrage.RecipientError as exc:
        if text.lower().startswith("age1") and "Bech32" in str(exc):
            message = (
                "clé publique mal recopiée : la somme de contrôle ne correspond pas "
                "(faute de frappe, caractère en trop ou manquant ?)"
            )
        else:
            message = "destinataire invalide : une clé publique age commence par « age1 »"
        raise AgeError(message) from exc


def parse_identities(text: str) -> list[Any]:
    """Identities of an identity file (comments and blank lines ignored)."""
    keys = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            keys.append(x25519.Identity.from_str(line))
        except pyrage.IdentityError as exc:
            raise AgeError(
                "fichier d'identité invalide : une clé privée age commence par « AGE-SECRET-KEY-1 »"
            ) from exc
    if not keys:
        raise AgeError("fichier d'identité vide")
    return keys


def _recipients(recipients: Iterable[Any]) -> list[Any]:
    return [parse_recipient(r) if isinstance(r, str) else r for r in recipients]


def _identities(identities: str | Iterable[Any]) -> list[Any]:
    return parse_identities(identities) if isinstance(identities, str) else list(identities)


# --- streams -------------------------------------------------------------------------------------------


def _decrypt_error(exc: BaseException) -> AgeError:
    text = str(exc)
    if "No matching keys" in text:
        return AgeError(
            "aucune de vos clés ne peut déchiffrer ce fichier : il a été chiffré pour un autre destinataire"
        )
    if "Header MAC" in text:
        return AgeError("en-tête age altéré (contrôle d'intégrité en échec)")
    if isinstance(exc, OSError) or "truncated" in text:
        return AgeError("contenu altéré ou tronqué (contrôle d'intégrité en échec) : demandez un nouvel envoi")
    return AgeError("en-tête age mal formé ou tronqué : ce fichier n'est pas un fichier age lisible")


def encrypt_stream(source: IO[bytes], target: IO[bytes], recipients: Iterable[Any]) -> None:
    """Encrypt everything readable from ``source`` into ``target`` (recipients: ``age1...`` or parsed)."""
    keys = _recipients(recipients)
    if not keys:
        raise AgeError("aucun destinataire : indiquez au moins une clé publique age1...")
    try:
        pyrage.encrypt_io(source, target, keys)
    except pyrage.EncryptError as exc:
        raise AgeError("chiffrement age impossible") from exc


def decrypt_stream(source: IO[bytes], target: IO[bytes], identities: str | Iterable[Any]) -> None:
    """Decrypt an age file from ``source`` into ``target``; each 64 KiB chunk is authenticated before written.

    ``identities``: the text of an identity file, or parsed identities. A truncated or altered file raises
    AgeError after the chunks before the damage were written: the caller discards ``target`` then.
    """
    keys = _identities(identities)
    try:
        pyrage.decrypt_io(source, target, keys)
    except OSError as exc:
        if exc.errno is not None:
            raise  # reading or writing a file failed (disk full...): not a problem of the age file
        raise _decrypt_error(exc) from exc
    except pyrage.DecryptError as exc:
        raise _decrypt_error(exc) from exc


class _Worker(threading.Thread):
    """Runs one pyrage call, keeping the exception it raised for the caller's thread."""

    def __init__(self, job: Any, *args: Any):
        super().__init__(daemon=True)
        self.job, self.args = job, args
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.job(*self.args)
        except BaseException as exc:  # handed to the caller's thread, which raises it
            self.error = exc
        finally:
            for stream in self.args:
                if isinstance(stream, io.IOBase) and getattr(stream, "_dpa_pipe", False):
                    try:
                        stream.close()  # flushes what is left for the reading side
                    except OSError as exc:  # the reading side stopped early: nothing is waiting for it
                        self.error = self.error or exc


def _pipe() -> tuple[IO[bytes], IO[bytes]]:
    read_fd, write_fd = os.pipe()
    reader, writer = os.fdopen(read_fd, "rb"), os.fdopen(write_fd, "wb", buffering=_CHUNK)
    reader._dpa_pipe = writer._dpa_pipe = True  # type: ignore[attr-defined]  # closed by the worker
    return reader, writer


class AgeWriter(io.RawIOBase):
    """A write-only stream that encrypts to recipients into ``target``; ``close()`` finishes the file."""

    def __init__(self, target: IO[bytes], recipients: Iterable[Any]):
        super().__init__()
        keys = _recipients(recipients)
        if not keys:
            raise AgeError("aucun destinataire : indiquez au moins une clé publique age1...")
        reader, self._pipe = _pipe()
        self._worker = _Worker(encrypt_stream, reader, target, keys)
        self._worker.start()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        try:
            self._pipe.write(data)
        except BrokenPipeError as exc:
            self._worker.join()
            raise self._failure() from exc
        return len(data)

    def _failure(self) -> BaseException:
        error = self._worker.error
        if isinstance(error, AgeError):
            return error
        if isinstance(error, OSError):
            return error  # the target could not be written: a disk error, not a key problem
        return AgeError("chiffrement age interrompu")

    def close(self) -> None:
        if not self.closed:
            with contextlib.suppress(BrokenPipeError):  # the worker failed: its error is raised below
                self._pipe.close()
            self._worker.join()
            if self._worker.error is not None:
                super().close()
                raise self._failure() from self._worker.error
        super().close()


def decrypt_chunks(source: IO[bytes], identities: str | Iterable[Any]) -> Iterator[bytes]:
    """The plaintext of an age file, in chunks; AgeError at the end if the file is altered or truncated.

    Stopping early (closing the iterator) stops the decryption.
    """
    keys = _identities(identities)
    reader, writer = _pipe()
    worker = _Worker(decrypt_stream, source, writer, keys)
    worker.start()
    try:
        while chunk := reader.read(_CHUNK):
            yield chunk
    finally:
        reader.close()
        worker.join()
    if worker.error is not None:
        if isinstance(worker.error, AgeError):
            raise worker.error
        raise AgeError("déchiffrement age interrompu") from worker.error


def is_age(path: os.PathLike[str] | str) -> bool:
    with open(path, "rb") as handle:
        return handle.read(len(MAGIC)) == MAGIC
