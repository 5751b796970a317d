"""Encrypted exchanges: AES-256 zip archives that 7-Zip opens, with names hidden and integrity checked.

Layout of an archive made by dpa-kit (``dpa-kit-exchange/1``):

    archive.zip  (WinZip AE-2, AES-256, one entry, fixed 1980 date: a listing shows nothing personal)
    └── contenu.zip  (the inner zip, stored as the only encrypted entry)
        ├── the files, under their original relative paths (deflate, or stored if they do not compress)
        └── MANIFEST.dpa-kit.json  (paths, sizes, SHA-256, instant, sender, recipient, convention, tool)

Zip encryption covers contents, not names, sizes or dates; the inner zip hides all of them (see
``shared/notes/exchange.md``). A 7-Zip user extracts the outer archive with the password, then the
inner one. Everything is streamed in 1 MiB chunks: memory stays flat whatever the size, and no
clear-text temporary file is written when packing.

WinZip AE-2 authenticates each entry, not the archive: anyone can add, remove or rename entries without
the password. So opening trusts only what an authenticated entry says. A dpa-kit archive is accepted
whole or not at all: its single AES entry is decrypted and its HMAC checked into an encrypted spool
(``spool.py``: one-time key, nothing readable on disk), and only then is the inner archive parsed, its
layout checked against bombs (``ziplimits.py``), its names against what hurts on Windows and macOS
(``safenames.py``), its manifest compared with its entries. Files are written under opaque names in a
private staging folder inside the target and moved to their names only once every one of them matched
the manifest (``_Workspace``). A foreign archive (7-Zip) opens only when every entry is AES-encrypted,
and the result says that the set of files is not authenticated.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import json
import os
import re
import shutil
import stat
import struct
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

from zlib_ng import zlib_ng

from dpa_kit import clock
from dpa_kit.deflate import ParallelDeflate
from dpa_kit.exceptions import ExchangeError, UsageError, WrongPassword
from dpa_kit.fsutil import sha256_file
from dpa_kit.safenames import NameProblem, check_names, shown
from dpa_kit.spool import EncryptedSpool
from dpa_kit.ziplimits import DEFAULT_LIMITS, Limits, ZipLimitError, check_entries, check_layout

__all__ = [
    "DEFAULT_LIMITS",
    "FORMAT",
    "INNER_NAME",
    "MANIFEST_NAME",
    "ExchangeError",
    "FileEntry",
    "Limits",
    "Manifest",
    "OpenResult",
    "PackResult",
    "WrongPassword",
    "collect",
    "open_archive",
    "pack",
    "record",
    "remove_leftovers",
]

FORMAT = "dpa-kit-exchange/1"
INNER_NAME = "contenu.zip"
MANIFEST_NAME = "MANIFEST.dpa-kit.json"
CHUNK = 1 << 20
FIXED_DATE = (1980, 1, 1, 0, 0, 0)
MAX_MANIFEST = 64 << 20  # a manifest of 100,000 files is about 20 MB
STAGING_PREFIX = ".dpa-kit-staging-"
# Data whose sample does not shrink below this ratio is stored, not deflated again.
STORE_IF_RATIO_ABOVE = 0.95
# zlib-ng level 4: smaller than 7-Zip -mx=1 on CSV and faster (benchmarks/run.py exchange).
DEFLATE_LEVEL = 4


@dataclass
class FileEntry:
    """One file of an exchange."""

    path: str
    size: int
    sha256: str | None = None


@dataclass
class Manifest:
    """What the sender declared about the archive (encrypted inside it)."""

    created_at: str
    files: list[FileEntry]
    sender: str | None = None
    recipient: str | None = None
    convention: str | None = None
    tool: str = "dpa-kit"

    def as_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "created_at": self.created_at,
            "sender": self.sender,
            "recipient": self.recipient,
            "convention": self.convention,
            "tool": self.tool,
            "files": [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in self.files],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        """The manifest, strictly: every file a path, a size and a SHA-256, no path twice."""
        if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("files"), list):
            raise ExchangeError("manifeste de l'archive illisible ou d'un format inconnu")
        files = []
        for item in data["files"]:
            if not isinstance(item, dict):
                raise ExchangeError("manifeste de l'archive illisible (entrée de fichier mal formée)")
            path, size, digest = item.get("path"), item.get("size"), item.get("sha256")
            if (
                not isinstance(path, str)
                or isinstance(size, bool)
                or not isinstance(size, int)
                or size < 0
                or not isinstance(digest, str)
                or not _SHA256.fullmatch(digest)
            ):
                raise ExchangeError("manifeste de l'archive illisible (chemin, taille ou SHA-256 mal formé)")
            files.append(FileEntry(path, size, digest))
        if len({f.path for f in files}) != len(files):
            raise ExchangeError("manifeste de l'archive : un même fichier y figure deux fois ; archive refusée")
        texts = {key: data.get(key) for key in ("created_at", "sender", "recipient", "convention", "tool")}
        if any(v is not None and not isinstance(v, str) for v in texts.values()):
            raise ExchangeError("manifeste de l'archive illisible (champ de texte mal formé)")
        return cls(
            str(texts["created_at"]),
            files,
            texts["sender"],
            texts["recipient"],
            texts["convention"],
            str(texts["tool"]),
        )


@dataclass
class PackResult:
    archive: Path
    files: int
    total_size: int
    sha256: str
    manifest: Manifest


@dataclass
class OpenResult:
    files: list[FileEntry] = field(default_factory=list)
    total_size: int = 0
    verified: bool = False  # True when every file matched a dpa-kit manifest
    manifest: Manifest | None = None
    archive_sha256: str = ""
    leftovers_removed: int = 0  # staging folders of an interrupted earlier run, removed from the target


# --- packing ----------------------------------------------------------------------------------------


def collect(paths: list[Path]) -> list[tuple[Path, str]]:
    """The files to pack with their archive names (relative paths); links and specials are refused."""
    found: list[tuple[Path, str]] = []
    for root in paths:
        if root.is_symlink():
            raise UsageError(f"{root} : les liens symboliques ne sont pas emballés ; indiquez le fichier lui-même")
        if not root.exists():
            raise UsageError(f"{root} : fichier ou dossier introuvable")
        if root.is_file():
            items = [(root, root.name)]
        elif root.is_dir():
            items = []
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames.sort()
                for name in sorted(filenames):
                    path = Path(dirpath) / name
                    if path.is_symlink() or not path.is_file():
                        raise UsageError(f"{path} : lien ou fichier spécial, non emballé ; retirez-le du dossier")
                    items.append((path, str(PurePosixPath(root.name, path.relative_to(root).as_posix()))))
        else:
            raise UsageError(f"{root} : ni fichier ni dossier")
        found.extend(items)
    if not found:
        raise UsageError("rien à emballer : les dossiers indiqués sont vides")
    try:
        check_names([name for _, name in found])
    except NameProblem as exc:
        raise UsageError(
            f"nom de fichier refusé : {exc} ; renommez-le avant d'emballer (le destinataire ne "
            "pourrait pas l'ouvrir sous Windows ou macOS)"
        ) from None
    return found


def _compressible(path: Path) -> bool:
    with path.open("rb") as handle:
        sample = handle.read(CHUNK)
    if len(sample) < 512:
        return True
    return len(zlib_ng.compress(sample, 1)) / len(sample) < STORE_IF_RATIO_ABOVE


def _aes_writer(archive: Path, password: str) -> Any:
    import pyzipper

    outer = pyzipper.AESZipFile(archive, "w", compression=pyzipper.ZIP_STORED, encryption=pyzipper.WZ_AES)
    outer.setpassword(password.encode("utf-8"))
    outer.setencryption(pyzipper.WZ_AES, nbits=256)
    return outer


def pack(
    paths: list[Path],
    archive: Path,
    password: str,
    *,
    sender: str | None = None,
    recipient: str | None = None,
    convention: str | None = None,
    compresslevel: int = DEFLATE_LEVEL,
    overwrite: bool = False,
    progress: Callable[[int], None] | None = None,
    recipients: list[str] | None = None,
) -> PackResult:
    """Write an AES-256 archive of ``paths`` with hidden names and an encrypted manifest.

    With ``recipients`` (age public keys), the inner zip is encrypted to them in the age format instead,
    and ``password`` is ignored.
    """
    import dpa_kit

    files = collect(paths)
    if archive.exists() and not overwrite:
        raise UsageError(f"{archive} existe déjà : choisissez un autre nom (remplacement non demandé)")
    archive.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=archive.parent, prefix=f".{archive.name}.", suffix=".part")
    os.close(fd)
    temp = Path(temp_name)
    entries: list[FileEntry] = []

    def write_inner(stream: IO[bytes]) -> Manifest:
        with zipfile.ZipFile(stream, "w") as inner:
            for path, name in files:
                entries.append(_add_file(inner, path, name, compresslevel, progress))
            manifest = Manifest(
                created_at=clock.now().astimezone(clock.PARIS).isoformat(timespec="seconds"),
                files=entries,
                sender=sender,
                recipient=recipient,
                convention=convention,
                tool=f"dpa-kit {dpa_kit.__version__}",
            )
            inner.writestr(
                zipfile.ZipInfo(MANIFEST_NAME, date_time=FIXED_DATE),
                json.dumps(manifest.as_json(), ensure_ascii=False, indent=2),
                compress_type=zipfile.ZIP_DEFLATED,
            )
        return manifest

    try:
        if recipients:
            from dpa_kit.agecrypt import AgeWriter, parse_recipient

            keys = [parse_recipient(r) for r in recipients]
            with temp.open("wb") as handle:
                writer = AgeWriter(handle, keys)
                manifest = write_inner(writer)  # type: ignore[arg-type]
                writer.close()
        else:
            outer = _aes_writer(temp, password)
            with outer:
                info = outer.zipinfo_cls(INNER_NAME, date_time=FIXED_DATE)
                info.compress_type = zipfile.ZIP_STORED
                with outer.open(info, "w", force_zip64=True) as stream:
                    manifest = write_inner(stream)
        os.replace(temp, archive)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return PackResult(archive, len(entries), sum(e.size for e in entries), sha256_file(archive), manifest)


def _add_file(
    inner: zipfile.ZipFile, path: Path, name: str, level: int, progress: Callable[[int], None] | None
) -> FileEntry:
    mtime = datetime.fromtimestamp(path.stat().st_mtime)
    date_time = (max(1980, mtime.year), mtime.month, mtime.day, mtime.hour, mtime.minute, mtime.second)
    info = zipfile.ZipInfo(name, date_time=date_time)
    deflate = _compressible(path)
    info.compress_type = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    info.external_attr = (stat.S_IFREG | 0o600) << 16
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as source, inner.open(info, "w", force_zip64=True) as target:
        if deflate:
            _use_zlib_ng(target, level)
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            target.write(chunk)
            size += len(chunk)
            if progress:
                progress(len(chunk))
    return FileEntry(name, size, digest.hexdigest())


def _use_zlib_ng(handle: Any, level: int) -> None:
    """Let zipfile's entry writer deflate with zlib-ng on every core instead of zlib on one.

    zipfile creates a zlib ``compressobj(level, DEFLATED, -15)`` for each deflated entry and only calls its
    ``compress`` and ``flush``; :class:`~dpa_kit.deflate.ParallelDeflate` has both and writes the same raw
    stream format: zlib-ng is 1.5-2x faster than zlib (smaller at the same speed), and blocks are deflated
    on several threads. The swap is per entry (no module is patched); zipfile still computes the CRC and
    sizes of what goes through it. Measured choice: ``benchmarks/run.py exchange``.
    """
    if getattr(handle, "_compressor", None) is None:
        raise RuntimeError("zipfile's entry writer has no compressor to replace")
    handle._compressor = ParallelDeflate(level)


# --- opening ---


def _zip_errors(others: tuple[type[BaseException], ...] = ()) -> tuple[type[BaseException], ...]:
    """zipfile's errors and pyzipper's own copies of them (pyzipper vendors its zipfile module), plus ``others``."""
    import pyzipper.zipfile as pz

    return (zipfile.BadZipFile, pz.BadZipFile, zipfile.LargeZipFile, pz.LargeZipFile, *others)


_READ_ERRORS: tuple[type[BaseException], ...] = (
    RuntimeError,
    zlib.error,
    EOFError,
    ValueError,
    OSError,
    NotImplementedError,
    KeyError,
    struct.error,
    OverflowError,
)
WRONG_PASSWORD = (
    "mot de passe incorrect : vérifiez-le auprès de l'expéditeur (il a dû vous être transmis par un autre canal)"
)


def _convert(exc: BaseException, name: str) -> ExchangeError:
    text = str(exc)
    if isinstance(exc, RuntimeError) and "password" in text.lower():
        return WrongPassword(WRONG_PASSWORD)
    if "HMAC" in text or isinstance(exc, zlib.error) or "CRC" in text:
        return ExchangeError(
            f"« {shown(name)} » : contenu altéré (contrôle d'intégrité en échec) ou mot de passe incorrect ; "
            "rien n'a été extrait ; demandez un nouvel envoi"
        )
    return ExchangeError(
        f"« {shown(name)} » : lecture impossible ({type(exc).__name__}), archive endommagée ; rien n'a été extrait"
    )


def _stream(open_entry: Callable[[], IO[bytes]], name: str, limit: int) -> Iterator[bytes]:
    """Chunks of an entry, stopping at ``limit`` bytes (a lying size header cannot fill the disk).

    The entry is read to its end, so that its authentication code (AES) or CRC is checked."""
    try:
        with open_entry() as handle:
            produced = 0
            while chunk := handle.read(CHUNK):
                produced += len(chunk)
                if produced > limit:
                    raise ExchangeError(f"« {shown(name)} » : plus de données que la taille annoncée, archive refusée")
                yield chunk
    except ExchangeError:
        raise
    except _zip_errors(_READ_ERRORS) as exc:
        raise _convert(exc, name) from exc


def _check_kinds(infos: list[Any]) -> None:
    """Refuse links and special files (many writers leave the type bits at zero: that is a file)."""
    for info in infos:
        kind = stat.S_IFMT(info.external_attr >> 16)
        if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise NameProblem(f"« {shown(info.filename)} » : lien symbolique ou fichier spécial")


def _is_aes(info: Any) -> bool:
    return bool(info.flag_bits & 0x1) and getattr(info, "wz_aes_version", None) is not None


def _encryption_problem(info: Any) -> str | None:
    """Why an entry's encryption is not acceptable, or None for AES (WinZip AE-1/AE-2, HMAC-checked)."""
    if info.is_dir() and not info.flag_bits & 0x1 and info.file_size == 0:
        return None  # 7-Zip leaves folder entries unencrypted; they hold nothing
    if not info.flag_bits & 0x1:
        return (
            f"l'entrée « {shown(info.filename)} » n'est pas chiffrée : n'importe qui a pu l'ajouter sans le mot "
            "de passe"
        )
    if not _is_aes(info):
        return (
            f"l'entrée « {shown(info.filename)} » est chiffrée avec l'ancien procédé ZipCrypto, cassable et sans "
            "contrôle d'intégrité (demandez un envoi chiffré en AES-256)"
        )
    return None


class _Workspace:
    """The target folder, its private staging folder and the all-or-nothing move into place.

    Nothing is created before :meth:`prepare` (called once the password is known to be right). Every file
    is written under an opaque name (0600) in ``.dpa-kit-staging-PID-XXXX`` (0700) inside the target and
    moved to its final name only by :meth:`commit`, after every check. On any failure the staging folder
    goes, and so do the folders this run created (a wrong password leaves no empty target folder).
    """

    def __init__(self, target: Path | None, overwrite: bool) -> None:
        self.target = target
        self.overwrite = overwrite
        self.staging: Path | None = None
        self.created: list[Path] = []
        self.leftovers = 0
        self._count = 0

    def __enter__(self) -> _Workspace:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
        if kind is not None:
            for folder in reversed(self.created):
                with contextlib.suppress(OSError):
                    folder.rmdir()

    def prepare(self) -> None:
        if self.target is None or self.staging is not None:
            return
        missing = []
        folder = self.target.absolute()
        while not folder.exists():
            missing.append(folder)
            folder = folder.parent
        if not folder.is_dir():
            raise UsageError(f"{folder} n'est pas un dossier : extraction impossible")
        for path in reversed(missing):
            path.mkdir()
            self.created.append(path)
        if not self.target.is_dir():
            raise UsageError(f"{self.target} n'est pas un dossier : extraction impossible")
        self.leftovers = remove_leftovers(self.target)
        self.staging = Path(tempfile.mkdtemp(dir=self.target, prefix=f"{STAGING_PREFIX}{os.getpid()}-"))
        os.chmod(self.staging, 0o700)

    def spool(self) -> EncryptedSpool:
        return EncryptedSpool(self.staging)

    def check_free(self, names: list[str]) -> None:
        """Refuse before extracting anything when a final name is taken (unless replacing was asked)."""
        if self.target is None:
            return
        root = self.target.absolute()
        taken = [n for n in names if (root / n).exists() or (root / n).is_symlink()]
        dirs = [n for n in taken if (root / n).is_dir() and not (root / n).is_symlink()]
        if dirs:
            raise UsageError(
                f"« {shown(dirs[0])} » est un dossier dans {self.target} : il ne peut pas être remplacé par un fichier"
            )
        if taken and not self.overwrite:
            listed = ", ".join(f"« {shown(n)} »" for n in taken[:5])
            raise UsageError(
                f"{listed} existe(nt) déjà dans {self.target} : rien n'a été extrait ni remplacé "
                "(remplacement non demandé)"
            )

    def stage(self, chunks: Iterator[bytes]) -> tuple[Path | None, str, int]:
        """Write (or, when only checking, read) an entry; its staged path, SHA-256 and size."""
        digest = hashlib.sha256()
        size = 0
        if self.staging is None:
            for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
            return None, digest.hexdigest(), size
        self._count += 1
        path = self.staging / f"f{self._count:06d}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                digest.update(chunk)
                handle.write(chunk)
                size += len(chunk)
        return path, digest.hexdigest(), size

    def commit(self, staged: list[tuple[str, Path | None]]) -> None:
        """Move every staged file to its final name; undo the moves already made if one fails."""
        if self.target is None or self.staging is None:
            return  # only checking: nothing was written
        root = self.target.absolute()
        self.check_free([name for name, _ in staged])
        done: list[Path] = []
        try:
            for name, path in staged:
                if path is None:
                    raise RuntimeError("a file to extract was not staged")
                final = root / name
                parents = []
                folder = final.parent
                while not folder.exists():
                    parents.append(folder)
                    folder = folder.parent
                for parent in reversed(parents):
                    parent.mkdir()
                    self.created.append(parent)
                resolved = folder.resolve()
                if resolved != root.resolve() and root.resolve() not in resolved.parents:
                    raise ExchangeError(
                        f"« {shown(name)} » sortirait du dossier de destination (lien) : rien n'a été extrait"
                    )
                os.chmod(path, 0o600)
                os.replace(path, final)
                done.append(final)
        except BaseException:
            for final in done:
                with contextlib.suppress(OSError):
                    final.unlink()
            raise


def remove_leftovers(target: Path) -> int:
    """Remove what an interrupted ``open`` left in ``target`` (staging folders of dead processes, the clear
    inner archives older versions kept in ``.dpa-kit-*`` folders); how many were removed."""
    removed = 0
    for path in target.glob(".dpa-kit-*"):
        if not path.is_dir() or path.is_symlink():
            continue
        if path.name.startswith(STAGING_PREFIX):
            pid = path.name.removeprefix(STAGING_PREFIX).split("-", 1)[0]
            if pid.isdigit() and _alive(int(pid), path):
                continue  # another open is running into the same folder
        shutil.rmtree(path, ignore_errors=True)
        removed += 1
    return removed


def _alive(pid: int, folder: Path) -> bool:
    if os.name == "nt":
        # os.kill(pid, 0) would terminate the process on Windows: a staging folder touched within the last
        # day is taken as in use there.
        return time.time() - folder.stat().st_mtime < 86_400
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def open_archive(
    archive: Path,
    password: str | None,
    target: Path | None,
    *,
    overwrite: bool = False,
    limits: Limits | None = None,
    identities: str | None = None,
) -> OpenResult:
    """Check (``target=None``, nothing written but an encrypted spool) or extract an archive, all or nothing.

    A dpa-kit archive is accepted only whole: one AES (AE-2) entry whose authentication code checks, holding
    an inner archive whose manifest lists exactly its files, each file's SHA-256 matching. A foreign archive
    (7-Zip, no manifest) opens only when every entry is AES-encrypted; ``verified`` is then False: each
    entry is authenticated, the set of files is not. An age file (public-key mode) is opened with
    ``identities`` (the text of an identity file).
    """
    limits = limits or DEFAULT_LIMITS
    if not archive.is_file():
        raise UsageError(f"{archive} : archive introuvable")
    result = OpenResult(archive_sha256=sha256_file(archive))
    try:
        _open_any(archive, password, identities, target, overwrite, limits, result)
    except OSError as exc:  # the disk, not the archive: full, read-only, another file system
        where = target if target is not None else "le dossier temporaire"
        raise ExchangeError(
            f"écriture impossible dans {where} ({exc.strerror or type(exc).__name__}) : rien n'a été extrait"
        ) from exc
    return result


def _open_any(
    archive: Path,
    password: str | None,
    identities: str | None,
    target: Path | None,
    overwrite: bool,
    limits: Limits,
    result: OpenResult,
) -> None:
    from dpa_kit.agecrypt import decrypt_chunks, is_age, parse_identities

    with _Workspace(target, overwrite) as work:
        if is_age(archive):
            if not identities:
                raise UsageError(
                    f"{archive} est chiffré pour une clé publique : la clé privée (fichier d'identité "
                    "age) est nécessaire pour l'ouvrir"
                )
            keys = parse_identities(identities)
            with archive.open("rb") as source:
                chunks = decrypt_chunks(source, keys)
                try:
                    first = next(chunks, b"")  # a wrong key fails here, before anything exists
                    work.prepare()
                    spool = work.spool()
                    _fill(spool, itertools.chain([first], chunks), limits.max_total, archive.name)
                finally:
                    getattr(chunks, "close", lambda: None)()  # stops pyrage's thread if we stopped early
            with spool.seal() as reader:
                if not _open_inner(reader, spool.size, work, limits, result):
                    raise ExchangeError(
                        f"{archive} : le fichier age ne contient pas d'archive dpa-kit (manifeste absent)"
                    )
        else:
            if password is None:
                raise UsageError("mot de passe de l'archive attendu")
            _open_zip(archive, password, work, limits, result)
        result.leftovers_removed = work.leftovers


def _fill(spool: EncryptedSpool, chunks: Iterable[bytes], limit: int, name: str) -> None:
    for chunk in chunks:
        if spool.size + len(chunk) > limit:
            raise ExchangeError(
                f"« {shown(name)} » : plus de {limit // (1 << 20)} Mio une fois déchiffrée, au-delà "
                "de la limite (bombe de décompression ?)"
            )
        spool.write(chunk)


def _open_zip(archive: Path, password: str, work: _Workspace, limits: Limits, result: OpenResult) -> None:
    import pyzipper

    try:
        outer = pyzipper.AESZipFile(archive)
    except _zip_errors((OSError, ValueError, EOFError, struct.error, NotImplementedError)) as exc:
        raise ExchangeError(f"{archive} : archive illisible, tronquée ou endommagée") from exc
    with outer:
        outer.setpassword(password.encode("utf-8"))
        infos = outer.infolist()
        if not infos:
            raise ExchangeError(f"{archive} : archive vide")
        files = [i for i in infos if not i.is_dir()]
        inner_named = [i for i in infos if i.filename == INNER_NAME]
        if inner_named and len(infos) > 1:
            others = [i.filename for i in infos if i.filename != INNER_NAME]
            listed = ", ".join(f"« {shown(n)} »" for n in others[:5])
            raise ExchangeError(
                f"{archive} : archive dpa-kit accompagnée de {len(others)} autre(s) entrée(s) ({listed}) ; une "
                "archive dpa-kit n'en contient qu'une : elle a été modifiée après sa création ; archive refusée, "
                "rien n'a été extrait"
            )
        for info in infos:
            problem = _encryption_problem(info)
            if problem:
                raise ExchangeError(f"{archive} : {problem} ; archive refusée, rien n'a été extrait")
        try:
            check_names([i.filename for i in infos], max_depth=limits.max_depth)
            _check_kinds(infos)
            check_entries(infos, limits)
            with archive.open("rb") as raw:
                check_layout(raw, infos, outer.start_dir, archive.stat().st_size)
        except (NameProblem, ZipLimitError) as exc:
            raise ExchangeError(f"{archive} : {exc} ; archive refusée, rien n'a été extrait") from None
        if not files:
            raise ExchangeError(f"{archive} : archive sans aucun fichier")
        if len(infos) == 1:
            _open_single(archive, outer, infos[0], work, limits, result)
            return
        # A foreign archive of several entries, every one of them AES-encrypted.
        _check_password(outer, files[0])
        work.check_free([i.filename for i in files])
        work.prepare()
        staged = []
        for info in files:
            tail = _Tail()
            path, digest, size = work.stage(
                tail.watch(_stream(functools.partial(outer.open, info), info.filename, info.file_size))
            )
            if tail.is_dpa_kit():
                raise ExchangeError(
                    f"{archive} : l'entrée « {shown(info.filename)} » est une archive dpa-kit parmi "
                    "d'autres entrées : l'archive a été modifiée ; archive refusée, rien n'a été extrait"
                )
            staged.append((info.filename, path))
            result.files.append(FileEntry(info.filename, size, digest))
            result.total_size += size
        work.commit(staged)
        result.verified = False


def _check_password(outer: Any, info: Any) -> None:
    try:
        outer.open(info).close()
    except _zip_errors(_READ_ERRORS) as exc:
        raise _convert(exc, info.filename) from exc


def _open_single(archive: Path, outer: Any, info: Any, work: _Workspace, limits: Limits, result: OpenResult) -> None:
    """One AES entry: decrypted (authentication checked) into the encrypted spool, then read as a dpa-kit
    inner archive if it is one (whatever the entry's name), as a single foreign file otherwise."""
    _check_password(outer, info)
    work.prepare()
    spool = work.spool()
    _fill(
        spool,
        _stream(functools.partial(outer.open, info), info.filename, info.file_size),
        limits.max_total,
        info.filename,
    )
    with spool.seal() as reader:
        if _open_inner(reader, spool.size, work, limits, result, outer_info=info):
            return
        if info.filename == INNER_NAME:
            raise ExchangeError(
                f"{archive} : « {INNER_NAME} » n'est pas une archive dpa-kit lisible (manifeste absent "
                "ou archive intérieure endommagée) ; rien n'a été extrait"
            )
        work.check_free([info.filename])
        reader.seek(0)
        path, digest, size = work.stage(iter(functools.partial(reader.read, CHUNK), b""))
        work.commit([(info.filename, path)])
        result.files.append(FileEntry(info.filename, size, digest))
        result.total_size += size
        result.verified = False


class _Tail:
    """Remembers the start and end of a stream: is it a dpa-kit inner archive (hidden among other entries)?"""

    def __init__(self) -> None:
        self.head = b""
        self.tail = b""

    def watch(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            if len(self.head) < 4:
                self.head += chunk[:4]
            self.tail = (self.tail + chunk)[-4096:]
            yield chunk

    def is_dpa_kit(self) -> bool:
        return self.head.startswith(b"PK\x03\x04") and MANIFEST_NAME.encode() in self.tail


def _open_inner(
    reader: IO[bytes], length: int, work: _Workspace, limits: Limits, result: OpenResult, outer_info: Any = None
) -> bool:
    """Check and extract a decrypted inner archive; False when it is not a dpa-kit one (no manifest)."""
    try:
        inner = zipfile.ZipFile(reader)
    except _zip_errors(_READ_ERRORS):
        return False
    with inner:
        infos = inner.infolist()
        manifests = [i for i in infos if i.filename == MANIFEST_NAME]
        if not manifests:
            return False
        if outer_info is not None and getattr(outer_info, "wz_aes_version", None) != 2:
            raise ExchangeError(
                "archive dpa-kit chiffrée en AE-1 : dpa-kit écrit toujours de l'AE-2 ; archive refusée, "
                "rien n'a été extrait"
            )
        try:
            check_entries(infos, limits)
            check_layout(reader, infos, inner.start_dir, length)
            check_names([i.filename for i in infos], max_depth=limits.max_depth)
            _check_kinds(infos)
        except (NameProblem, ZipLimitError) as exc:
            raise ExchangeError(f"archive intérieure : {exc} ; archive refusée, rien n'a été extrait") from None
        manifest = _read_manifest(inner, manifests)
        entries = [i for i in infos if i.filename != MANIFEST_NAME]
        expected = {f.path: f for f in manifest.files}
        names = [i.filename for i in entries]
        missing = sorted(set(expected) - set(names))
        extra = sorted(set(names) - set(expected))
        if missing or extra:
            parts = []
            if missing:
                parts.append("absent(s) de l'archive : " + ", ".join(f"« {shown(n)} »" for n in missing[:5]))
            if extra:
                parts.append("en trop : " + ", ".join(f"« {shown(n)} »" for n in extra[:5]))
            raise ExchangeError(
                "l'archive ne correspond pas à son manifeste ("
                + " ; ".join(parts)
                + ") ; archive refusée, rien n'a été extrait"
            )
        for info in entries:
            if info.file_size != expected[info.filename].size:
                raise ExchangeError(
                    f"« {shown(info.filename)} » : taille différente du manifeste, fichier altéré ; "
                    "archive refusée, rien n'a été extrait"
                )
        work.check_free(names)
        staged = []
        for info in entries:
            declared = expected[info.filename]
            path, digest, size = work.stage(_stream(functools.partial(inner.open, info), info.filename, declared.size))
            if digest != declared.sha256 or size != declared.size:
                raise ExchangeError(
                    f"« {shown(info.filename)} » : empreinte SHA-256 différente du manifeste, fichier "
                    "altéré ; archive refusée, rien n'a été extrait ; demandez un nouvel envoi"
                )
            staged.append((info.filename, path))
            result.files.append(FileEntry(info.filename, size, digest))
            result.total_size += size
        work.commit(staged)
        result.manifest = manifest
        result.verified = True
        return True


_SHA256 = re.compile(r"[0-9a-f]{64}")


def _read_manifest(inner: zipfile.ZipFile, manifests: list[zipfile.ZipInfo]) -> Manifest:
    if len(manifests) > 1:
        raise ExchangeError("deux manifestes dans l'archive : archive altérée, refusée")
    raw = b"".join(_stream(functools.partial(inner.open, manifests[0]), MANIFEST_NAME, MAX_MANIFEST))
    try:
        return Manifest.from_json(json.loads(raw.decode("utf-8")))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ExchangeError("manifeste de l'archive illisible ou d'un format inconnu : archive refusée") from exc


def record(
    ledger_path: Path,
    direction: str,
    *,
    convention: str | None,
    counterpart: str | None,
    archive_sha256: str,
    files: int,
    total_size: int,
) -> bool:
    """Record an exchange in the ledger when it exists (never names nor contents); True if recorded."""
    from dpa_kit.ledger import Ledger

    if not ledger_path.exists():
        return False
    Ledger(ledger_path).append(
        f"exchange.{direction}",
        convention or "-",
        {
            "direction": direction,
            "convention": convention,
            "counterpart": counterpart,
            "archive_sha256": archive_sha256,
            "files": files,
            "total_size": total_size,
        },
    )
    return True
