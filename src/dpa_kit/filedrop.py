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

__all__ = ["MAX_DROP_BYTES", "Drop", "drop_file", "drops", "find_drop", "stored_path"]

MAX_DROP_BYTES = 200_000_000
_CHUNK = 1 << 20
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


def _write_package(writer: IO[bytes], source: IO[bytes], name: str, siret: str, convention: str | None,
                   instant: datetime, max_bytes: int, digest: Any) -> int:
    """Write the inner zip (the file, then its manifest) into ``writer``; return the clear size."""
    import dpa_kit
    from dpa_kit.exchange import FIXED_DATE, MANIFEST_NAME, FileEntry, Manifest

    size = 0
    with zipfile.ZipFile(writer, "w") as inner:
        info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
        info.compress_type = zipfile.ZIP_DEFLATED
        with inner.open(info, "w", force_zip64=True) as entry:
            while chunk := source.read(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise InvalidValue(f"fichier trop gros ({max_bytes // 1_000_000} Mo au plus)", "file")
                digest.update(chunk)
                entry.write(chunk)
        if size == 0:
            raise InvalidValue("le fichier déposé est vide", "file")
        manifest = Manifest(
            created_at=instant.astimezone(clock.PARIS).isoformat(timespec="seconds"),
            files=[FileEntry(name, size, digest.hexdigest())], sender=siret, recipient="DPO",
            convention=convention, tool=f"dpa-kit {dpa_kit.__version__}",
        )
        inner.writestr(zipfile.ZipInfo(MANIFEST_NAME, date_time=FIXED_DATE),
                       json.dumps(manifest.as_json(), ensure_ascii=False, indent=2),
                       compress_type=zipfile.ZIP_DEFLATED)
    return size


def stored_path(store: Path, siret: str, drop_id: str) -> Path:
    """Where the ciphertext of a drop lives."""
    return Path(store) / siret / f"{drop_id}.age"


def drop_file(ledger: Ledger, store: Path, source: IO[bytes], filename: str, recipient: str, *, siret: str,
              by: str, convention: str | None = None, now: datetime | None = None,
              max_bytes: int = MAX_DROP_BYTES) -> Drop:
    """Encrypt what ``source`` holds to ``recipient`` (``age1...``) into the store and record the drop."""
    from dpa_kit.agecrypt import AgeWriter, parse_recipient

    if not re.fullmatch(r"\d{14}", siret):
        raise InvalidValue(f"SIRET « {siret} » invalide : 14 chiffres attendus", "siret")
    key = parse_recipient(recipient)
    instant = now or clock.now()
    drop_id = f"D-{instant.astimezone(clock.PARIS):%Y%m%d}-{secrets.token_hex(6)}"
    target = stored_path(store, siret, drop_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.part")
    name = _safe_name(filename)
    digest = hashlib.sha256()
    try:
        with temp.open("wb") as handle:
            writer: Any = AgeWriter(handle, [key])
            try:
                size = _write_package(writer, source, name, siret, convention, instant, max_bytes, digest)
            except BaseException:
                with contextlib.suppress(Exception):  # the first error is the one to report
                    writer.close()
                raise
            writer.close()
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    payload: dict[str, Any] = {"siret": siret, "convention": convention, "size": size,
                               "sha256": sha256_file(target), "by": by}
    event = ledger.append("drop.received", drop_id, payload, at=instant)
    return Drop(drop_id, siret, convention, size, payload["sha256"], event.at, by)


def drops(ledger: Ledger | None, siret: str | None = None) -> list[Drop]:
    """The recorded drops, newest first; only one structure's when ``siret`` is given."""
    if ledger is None:
        return []
    found = []
    for event in ledger.events(kind_prefix="drop.received"):
        p = event.payload
        if siret is None or p.get("siret") == siret:
            found.append(Drop(event.subject, p["siret"], p.get("convention"), p["size"], p["sha256"], event.at,
                              p.get("by", "")))
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
