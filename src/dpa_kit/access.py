"""Who may see what: every object a user reaches goes through these functions.

A structure's user sees only the conventions whose processor has its SIRET, and the breaches of those
conventions; the DPO sees everything. An object that exists but belongs to another structure raises the
same :class:`~dpa_kit.exceptions.NotFound` as one that does not exist, so a page cannot tell them apart.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path

from dpa_kit.accounts import User
from dpa_kit.breach import Breach, replay
from dpa_kit.exceptions import NotFound, UsageError
from dpa_kit.ledger import Ledger
from dpa_kit.loader import LoadedConvention, LoadResult, iter_folder
from dpa_kit.model import Convention

__all__ = [
    "all_breaches",
    "breaches_for",
    "conventions_for",
    "flight",
    "folder_signature",
    "get_breach",
    "get_convention",
    "linked_record",
    "load",
    "may_see",
    "structure_breaches",
    "structure_reference_of",
]


def may_see(user: User, convention: Convention) -> bool:
    """True when the user may see this convention and everything attached to it."""
    if not user.active:
        return False
    if user.is_dpo:
        return True
    return bool(user.siret) and convention.processor.siret == user.siret


_CACHE: dict[Path, tuple[tuple[tuple[str, int, int], ...], list[LoadResult]]] = {}
_CACHE_LOCK = threading.Lock()


def folder_signature(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Name, modification time and size of every YAML file of the folder: any edit changes it."""
    if not folder.is_dir():
        raise UsageError(f"{folder} : dossier introuvable")
    found = []
    for path in folder.iterdir():
        if path.suffix in {".yaml", ".yml"}:
            try:
                stat = path.stat()
            except FileNotFoundError:  # removed while the folder was read: the next signature tells
                continue
            found.append((path.name, stat.st_mtime_ns, stat.st_size))
    return tuple(sorted(found))


_FLIGHTS: dict[tuple[str, Path], threading.Lock] = {}


def flight(kind: str, path: Path) -> threading.Lock:
    """The lock of one costly computation (``kind`` of ``path``): under it, the first caller computes and the
    callers arriving meanwhile wait, then find its result kept, instead of all computing it at once."""
    with _CACHE_LOCK:
        return _FLIGHTS.setdefault((kind, Path(path)), threading.Lock())


def load(folder: Path) -> list[LoadResult]:
    """The folder's conventions, loaded again only when one of its YAML files changed (every web page needs
    them; parsing and validating 200 files takes about a second, done once however many pages ask)."""
    folder = Path(folder)
    signature = folder_signature(folder)
    with _CACHE_LOCK:
        cached = _CACHE.get(folder)
    if cached is not None and cached[0] == signature:
        return cached[1]
    with flight("load", folder):
        signature = folder_signature(folder)
        with _CACHE_LOCK:
            cached = _CACHE.get(folder)
        if cached is not None and cached[0] == signature:
            return cached[1]  # loaded by the caller this one waited for
        results = list(iter_folder(folder))
        with _CACHE_LOCK:
            _CACHE[folder] = (signature, results)
        return results


def conventions_for(user: User, folder: Path) -> list[LoadedConvention]:
    """The valid conventions of the folder that the user may see, in file order."""
    return [r.loaded for r in load(folder) if r.loaded is not None and may_see(user, r.loaded.convention)]


def get_convention(user: User, folder: Path, convention_id: str) -> LoadedConvention:
    for loaded in conventions_for(user, folder):
        if loaded.convention.id == convention_id:
            return loaded
    raise NotFound(f"aucune convention « {convention_id} » accessible")


_BREACHES: dict[Path, tuple[int, str, dict[str, Breach]]] = {}


def all_breaches(ledger: Ledger) -> dict[str, Breach]:
    """Every breach of the ledger, as :func:`dpa_kit.breach.all_breaches`, kept between calls and brought up to
    date with only the breach events appended since (the ledger is append-only, so replaying the new events
    onto the previous state gives the full fold). The last event replayed is checked by its hash, so a ledger
    replaced by another file is folded afresh. The mapping returned must not be changed by the caller."""
    with _CACHE_LOCK:
        seq, digest, known = _BREACHES.get(ledger.path, (0, "", {}))
    if seq:
        events = ledger.since(seq - 1, "breach.")
        if len(events) == 1 and (events[0].seq, events[0].hash) == (seq, digest):
            return known  # nothing new: no lock taken
    with flight("breaches", ledger.path):  # one caller reads and replays, the others wait for its result
        with _CACHE_LOCK:
            seq, digest, known = _BREACHES.get(ledger.path, (0, "", {}))
        events = ledger.since(seq - 1, "breach.") if seq else []
        if seq and events and events[0].seq == seq and events[0].hash == digest:
            events = events[1:]
            if not events:
                return known
            folded = replay(events, known)
        else:
            events = ledger.events(kind_prefix="breach.")
            folded = replay(events)
        if events:
            with _CACHE_LOCK:
                _BREACHES[ledger.path] = (events[-1].seq, events[-1].hash, folded)
        return folded


def breaches_for(user: User, folder: Path, ledger: Ledger, side: str | None = None) -> list[Breach]:
    """The breaches of the user's conventions (all of them for the DPO), optionally of one side."""
    visible = None if user.is_dpo else {c.convention.id for c in conventions_for(user, folder)}
    return [
        b
        for b in all_breaches(ledger).values()
        if (visible is None or b.convention in visible) and (side is None or b.side == side)
    ]


def get_breach(user: User, folder: Path, ledger: Ledger, breach_id: str) -> Breach:
    for breach in breaches_for(user, folder, ledger):
        if breach.id == breach_id:
            return breach
    raise NotFound(f"aucune violation « {breach_id} » accessible")


def structure_reference_of(breach: Breach) -> set[str]:
    """The structure's references a Département's record carries: where :func:`dpa_kit.breach.receive` stores
    it (``Breach.structure_reference``) and where an older record kept it (``details["structure_reference"]``)."""
    found = {breach.structure_reference, breach.details.get("structure_reference")}
    return {str(ref) for ref in found if ref}


def linked_record(breaches: Iterable[Breach], declared: Breach) -> Breach | None:
    """The Département's record of a breach the structure declared and recorded apart (then received with the
    structure's reference), among ``breaches``; None when there is none (or ``declared`` is not a structure's)."""
    if declared.side != "structure":
        return None
    return next(
        (
            b
            for b in breaches
            if b.side == "departement" and b.id != declared.id and declared.id in structure_reference_of(b)
        ),
        None,
    )


def structure_breaches(found: Iterable[Breach]) -> list[Breach]:
    """A structure's breaches, each once: a breach declared in the web application is one record; one recorded
    in two (declared, then received with the structure's reference) is listed by its declaration."""
    found = list(found)
    declared = {b.id for b in found if b.side == "structure"}
    return [b for b in found if not (b.side == "departement" and structure_reference_of(b) & declared - {b.id})]
