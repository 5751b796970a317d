"""The file drop: a structure hands files to the DPO through the server, which never keeps a readable copy.

An uploaded file is read in chunks and written straight into an exchange package (the inner zip with its
manifest, :mod:`dpa_kit.exchange`) encrypted on the fly to the DPO's age public key (:class:`AgeWriter`), so
no clear byte reaches the disk: only ``<store>/<siret>/<drop id>.age`` exists, which the DPO opens with
``dpa-kit exchange open FILE.age --identity CLE``. The ledger records each drop (``drop.received``) with
its structure, size and the ciphertext's SHA-256, never the file's name (names of files often name people).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from dpa_kit import clock
from dpa_kit.exceptions import InvalidValue
from dpa_kit.fsutil import sha256_file
from dpa_kit.ledger import Ledger

__all__ = ["MAX_DROP_BYTES", "Drop", "DropWriter", "drop_file", "drops", "find_drop", "stored_path"]

MAX_DROP_BYTES = 200_000_000
_CHUNK = 1 << 20
_FIXED_DATE = (1980, 1, 1, 0, 0, 0)  # as in exchange packages: no clock in the archive
_ID = re.compile(r"^D-\d{8}-[0-9a-f]{12}$")


@dataclass(frozen=True)
class Drop:
    """One dropped file as the ledger knows it (no file name)."""

    id: str
    siret: str
    convention: str | None
    size: int
    sha256: str
    at: datetime
    by: str


def _safe_name(name: str) -> str:
    base = os.path.basename(name.replace("\\", "/")).strip()
    base = re.sub(r"[\x00-\x1f<>:\"|?*]", "_", base)
    return base[:200] or "fichier"


class DropWriter:
    """A drop in progress: push the file's bytes with :meth:`write` as they arrive, then :meth:`close`.

    For an edge that receives the file in pieces (a streamed HTTP upload): nothing but ciphertext is written,
    to a hidden ``.part`` file renamed into place only by :meth:`close`; :meth:`abort` (or any error) removes
    it and records nothing.
    """

    def __init__(
        self,
        ledger: Ledger,
        store: Path,
        filename: str,
        recipient: str,
        *,
        siret: str,
        by: str,
        convention: str | None = None,
        now: datetime | None = None,
        max_bytes: int = MAX_DROP_BYTES,
    ):
        from dpa_kit.agecrypt import AgeWriter, parse_recipient

        if not re.fullmatch(r"\d{14}", siret):
            raise InvalidValue(f"SIRET « {siret} » invalide : 14 chiffres attendus", "siret")
        key = parse_recipient(recipient)
        self.ledger, self.siret, self.by, self.convention, self.max_bytes = ledger, siret, by, convention, max_bytes
        self.instant = now or clock.now()
        self.id = f"D-{self.instant.astimezone(clock.PARIS):%Y%m%d}-{secrets.token_hex(6)}"
        self.target = stored_path(store, siret, self.id)
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self.temp = self.target.with_name(f".{self.target.name}.part")
        self.name = _safe_name(filename)
        self.size = 0
        self._digest = hashlib.sha256()
        self._handle = self.temp.open("wb")
        self._done = False
        try:
            self._age: Any = AgeWriter(self._handle, [key])
            self._zip = zipfile.ZipFile(self._age, "w")
            info = zipfile.ZipInfo(self.name, date_time=_FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            self._entry = self._zip.open(info, "w", force_zip64=True)
        except BaseException:
            self.abort()
            raise

    def write(self, chunk: bytes) -> None:
        """Encrypt the next bytes of the file; InvalidValue (and nothing kept) past the size limit."""
        self.size += len(chunk)
        if self.size > self.max_bytes:
            self.abort()
            raise InvalidValue(f"fichier trop gros ({self.max_bytes // 1_000_000} Mo au plus)", "file")
        try:
            self._digest.update(chunk)
            self._entry.write(chunk)
        except BaseException:
            self.abort()
            raise

    def close(self) -> Drop:
        """Finish the ciphertext, put it in place and record the drop in the ledger."""
        import dpa_kit
        from dpa_kit.exchange import MANIFEST_NAME, FileEntry, Manifest

        if self.size == 0:
            self.abort()
            raise InvalidValue("le fichier déposé est vide", "file")
        try:
            self._entry.close()
            manifest = Manifest(
                created_at=self.instant.astimezone(clock.PARIS).isoformat(timespec="seconds"),
                files=[FileEntry(self.name, self.size, self._digest.hexdigest())],
                sender=self.siret,
                recipient="DPO",
                convention=self.convention,
                tool=f"dpa-kit {dpa_kit.__version__}",
            )
            self._zip.writestr(
                zipfile.ZipInfo(MANIFEST_NAME, date_time=_FIXED_DATE),
                json.dumps(manifest.as_json(), ensure_ascii=False, indent=2),
                compress_type=zipfile.ZIP_DEFLATED,
            )
            self._zip.close()
            self._age.close()
            self._handle.close()
            os.replace(self.temp, self.target)
        except BaseException:
            self.abort()
            raise
        self._done = True
        payload: dict[str, Any] = {
            "siret": self.siret,
            "convention": self.convention,
            "size": self.size,
            "sha256": sha256_file(self.target),
            "by": self.by,
        }
        event = self.ledger.append("drop.received", self.id, payload, at=self.instant)
        return Drop(self.id, self.siret, self.convention, self.size, payload["sha256"], event.at, self.by)

    def abort(self) -> None:
        """Stop the drop: the partial ciphertext is removed, nothing is recorded."""
        if self._done:
            return
        self._done = True
        for closing in ("_entry", "_zip", "_age"):
            part = getattr(self, closing, None)
            if part is not None:
                with contextlib.suppress(Exception):  # the first error is the one to report
                    part.close()
        with contextlib.suppress(Exception):
            self._handle.close()
        self.temp.unlink(missing_ok=True)


def stored_path(store: Path, siret: str, drop_id: str) -> Path:
    """Where the ciphertext of a drop lives."""
    return Path(store) / siret / f"{drop_id}.age"


def drop_file(
    ledger: Ledger,
    store: Path,
    source: IO[bytes],
    filename: str,
    recipient: str,
    *,
    siret: str,
    by: str,
    convention: str | None = None,
    now: datetime | None = None,
    max_bytes: int = MAX_DROP_BYTES,
) -> Drop:
    """Encrypt what ``source`` holds to ``recipient`` (``age1...``) into the store and record the drop."""
    writer = DropWriter(
        ledger, store, filename, recipient, siret=siret, by=by, convention=convention, now=now, max_bytes=max_bytes
    )
    try:
        while chunk := source.read(_CHUNK):
            writer.write(chunk)
    except BaseException:
        writer.abort()
        raise
    return writer.close()


def drops(ledger: Ledger | None, siret: str | None = None) -> list[Drop]:
    """The recorded drops, newest first; only one structure's when ``siret`` is given."""
    if ledger is None:
        return []
    found = []
    for event in ledger.events(kind_prefix="drop.received"):
        p = event.payload
        if siret is None or p.get("siret") == siret:
            found.append(
                Drop(event.subject, p["siret"], p.get("convention"), p["size"], p["sha256"], event.at, p.get("by", ""))
            )
    return sorted(found, key=lambda d: d.at, reverse=True)


def find_drop(ledger: Ledger | None, store: Path, drop_id: str, siret: str | None = None) -> tuple[Drop, Path] | None:
    """A drop and its ciphertext, or None when it does not exist or belongs to another structure."""
    if not _ID.fullmatch(drop_id):
        return None
    for item in drops(ledger, siret):
        if item.id == drop_id:
            path = stored_path(store, item.siret, item.id)
            return (item, path) if path.is_file() else None
    return None
