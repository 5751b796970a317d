"""One rule against silent overwrites: a file dpa-kit wrote is replaced only if nobody changed it since.

Every command that writes a file into a folder records the file's SHA-256 in that folder's manifest,
:data:`MANIFEST` (a small JSON file next to the documents). Before replacing a file, :func:`guard` compares
the file on disk with the record: a file edited by hand (a DOCX annex completed in a word processor), or
one that dpa-kit did not write, is left alone and :class:`~dpa_kit.exceptions.WouldOverwrite` names it,
unless the caller passes ``force`` (the user asked for it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from dpa_kit.exceptions import WouldOverwrite
from dpa_kit.fsutil import atomic_write, sha256_file

__all__ = ["MANIFEST", "changed_since_written", "guard", "record", "write_file"]

#: The manifest of the files dpa-kit wrote in a folder: {file name: SHA-256 of what was written}.
MANIFEST = ".dpa-kit-ecrits.json"


def _manifest(folder: Path) -> dict[str, str]:
    path = folder / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def changed_since_written(target: Path) -> bool:
    """True when ``target`` exists and is not, byte for byte, what dpa-kit last wrote there."""
    if not target.exists():
        return False
    if target.is_dir():
        return True
    recorded = _manifest(target.parent).get(target.name)
    return recorded is None or recorded != sha256_file(target)


def guard(targets: Iterable[Path], *, force: bool = False) -> None:
    """Refuse (:class:`WouldOverwrite`) to replace any of ``targets`` that changed since dpa-kit wrote it."""
    if force:
        return
    changed = [target for target in targets if changed_since_written(target)]
    if changed:
        raise WouldOverwrite(changed)


def record(targets: Iterable[Path]) -> None:
    """Record what dpa-kit just wrote at ``targets`` (grouped by folder, one manifest write per folder)."""
    by_folder: dict[Path, list[Path]] = {}
    for target in targets:
        by_folder.setdefault(target.parent, []).append(target)
    for folder, files in by_folder.items():
        manifest = _manifest(folder)
        for target in files:
            manifest[target.name] = sha256_file(target)
        data = json.dumps(dict(sorted(manifest.items())), ensure_ascii=False, indent=1) + "\n"
        atomic_write(folder / MANIFEST, data.encode("utf-8"))


def write_file(target: Path, data: bytes, *, force: bool = False, mode: int | None = None) -> None:
    """Write ``data`` at ``target`` under the rule: refuse a changed file unless ``force``, then record it."""
    guard([target], force=force)
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, data, mode=mode)
    record([target])
