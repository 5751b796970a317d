"""Encrypted exchanges: AES-256 zip archives that 7-Zip opens, with names hidden and integrity checked.

Layout of an archive made by dpa-kit (``dpa-kit-exchange/1``):

    archive.zip  (WinZip AE-2, AES-256, one entry, fixed 1980 date: a listing shows nothing personal)
    └── contenu.zip  (the inner zip, stored as the only encrypted entry)
        ├── the files, under their original relative paths (deflate, or stored if they do not compress)
        └── MANIFEST.dpa-kit.json  (paths, sizes, SHA-256, instant, sender, recipient, convention, tool)

Zip encryption covers contents, not names, sizes or dates; the inner zip hides all of them (see
``shared/notes/exchange.md``). A 7-Zip user extracts the outer archive with the password, then the
inner one. Everything is streamed in 1 MiB chunks: memory stays flat whatever the size, and no
clear-text temporary file is written when packing. When opening, the inner zip is decrypted once into a
private (0700) folder inside the target folder, removed on success, error or Ctrl-C; each file is written
to a private temporary name and renamed only once its SHA-256 matched the manifest. ``verify`` writes
nothing at all (it reads through the decrypting stream, three passes, slower).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

from dpa_kit import clock
from dpa_kit.fsutil import sha256_file
from dpa_kit.exceptions import ExchangeError, UsageError, WrongPassword

FORMAT = "dpa-kit-exchange/1"
INNER_NAME = "contenu.zip"
MANIFEST_NAME = "MANIFEST.dpa-kit.json"
CHUNK = 1 << 20
FIXED_DATE = (1980, 1, 1, 0, 0, 0)
DEFAULT_MAX_TOTAL = 20 * (1 << 30)  # 20 GiB restored at most
DEFAULT_MAX_RATIO = 200  # a deflate stream that claims to expand more than this is a bomb
MAX_ENTRIES = 100_000
# Data whose sample does not shrink below this ratio is stored, not deflated again.
STORE_IF_RATIO_ABOVE = 0.95




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
            "format": FORMAT, "created_at": self.created_at, "sender": self.sender, "recipient": self.recipient,
            "convention": self.convention, "tool": self.tool,
            "files": [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in self.files],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        if data.get("format") != FORMAT or not isinstance(data.get("files"), list):
            raise ExchangeError("manifeste de l'archive illisible ou d'un format inconnu")
        files = [FileEntry(str(f["path"]), int(f["size"]), str(f["sha256"])) for f in data["files"]]
        return cls(str(data.get("created_at")), files, data.get("sender"), data.get("recipient"),
                   data.get("convention"), str(data.get("tool")))


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


# --- packing ----------------------------------------------------------------------------------------


def collect(paths: list[Path]) -> list[tuple[Path, str]]:
    """The files to pack with their archive names (relative paths); links and specials are refused."""
    found: list[tuple[Path, str]] = []
    seen: set[str] = set()
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
        for path, name in items:
            key = name.lower()
            if key in seen:
                raise UsageError(f"deux fichiers porteraient le même nom « {name} » dans l'archive : renommez-en un")
            seen.add(key)
            found.append((path, name))
    if not found:
        raise UsageError("rien à emballer : les dossiers indiqués sont vides")
    return found


def _compressible(path: Path) -> bool:
    with path.open("rb") as handle:
        sample = handle.read(CHUNK)
    if len(sample) < 512:
        return True
    return len(zlib.compress(sample, 1)) / len(sample) < STORE_IF_RATIO_ABOVE


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
    compresslevel: int = 1,
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
        raise UsageError(f"{archive} existe déjà : choisissez un autre nom ou ajoutez --force")
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
                files=entries, sender=sender, recipient=recipient, convention=convention,
                tool=f"dpa-kit {dpa_kit.__version__}",
            )
            inner.writestr(zipfile.ZipInfo(MANIFEST_NAME, date_time=FIXED_DATE),
                           json.dumps(manifest.as_json(), ensure_ascii=False, indent=2),
                           compress_type=zipfile.ZIP_DEFLATED)
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


def _add_file(inner: zipfile.ZipFile, path: Path, name: str, level: int,
              progress: Callable[[int], None] | None) -> FileEntry:
    mtime = datetime.fromtimestamp(path.stat().st_mtime)
    date_time = (max(1980, mtime.year), mtime.month, mtime.day, mtime.hour, mtime.minute, mtime.second)
    info = zipfile.ZipInfo(name, date_time=date_time)
    if _compressible(path):
        info.compress_type = zipfile.ZIP_DEFLATED
        # zipfile reads the level from the ZipInfo when opening an entry for writing
        # (``compress_level`` since Python 3.13, ``_compresslevel`` before).
        setattr(info, "compress_level" if hasattr(info, "compress_level") else "_compresslevel", level)
    else:
        info.compress_type = zipfile.ZIP_STORED
    info.external_attr = (stat.S_IFREG | 0o600) << 16
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as source, inner.open(info, "w", force_zip64=True) as target:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            target.write(chunk)
            size += len(chunk)
            if progress:
                progress(len(chunk))
    return FileEntry(name, size, digest.hexdigest())


# --- opening ----------------------------------------------------------------------------------------


def _safe_name(name: str) -> PurePosixPath:
    """The relative path of an entry, or an error if it could escape the target folder."""
    if not name or "\x00" in name:
        raise ExchangeError("entrée au nom vide ou invalide : archive refusée")
    if "\\" in name or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise ExchangeError(f"entrée « {name} » refusée : chemin absolu ou lecteur Windows")
    path = PurePosixPath(name)
    if ".." in path.parts:
        raise ExchangeError(f"entrée « {name} » refusée : elle sortirait du dossier de destination (..)")
    return path


def _is_link(info: zipfile.ZipInfo) -> bool:
    # Many zip writers leave the file-type bits at zero; only a declared type other than file/folder is refused.
    kind = stat.S_IFMT(info.external_attr >> 16)
    return kind not in (0, stat.S_IFREG, stat.S_IFDIR)


def _check_entries(infos: list[zipfile.ZipInfo], max_total: int, max_ratio: int) -> list[zipfile.ZipInfo]:
    if len(infos) > MAX_ENTRIES:
        raise ExchangeError(f"archive refusée : {len(infos)} entrées (au plus {MAX_ENTRIES})")
    seen: set[str] = set()
    files = []
    total = 0
    for info in infos:
        path = _safe_name(info.filename)
        if _is_link(info):
            raise ExchangeError(f"entrée « {info.filename} » refusée : lien symbolique ou fichier spécial")
        key = str(path).rstrip("/").lower()
        if key in seen:
            raise ExchangeError(f"entrée « {info.filename} » refusée : nom en double dans l'archive")
        seen.add(key)
        if info.is_dir():
            continue
        total += info.file_size
        if total > max_total:
            raise ExchangeError(f"archive refusée : plus de {max_total // (1 << 20)} Mio une fois extraite (bombe de décompression ?)")
        if info.compress_size and info.file_size > (1 << 20) and info.file_size / info.compress_size > max_ratio:
            raise ExchangeError(
                f"entrée « {info.filename} » refusée : taux de compression de {info.file_size // info.compress_size}:1 "
                "(bombe de décompression ?)")
        files.append(info)
    return files


def _zip_errors(others: tuple[type[BaseException], ...] = ()) -> tuple[type[BaseException], ...]:
    """zipfile's errors and pyzipper's own copies of them (pyzipper vendors its zipfile module), plus ``others``."""
    import pyzipper.zipfile as pz

    return (zipfile.BadZipFile, pz.BadZipFile, zipfile.LargeZipFile, pz.LargeZipFile, *others)


def _open_outer(archive: Path, password: str | None) -> Any:
    import pyzipper

    if not archive.is_file():
        raise UsageError(f"{archive} : archive introuvable")
    try:
        outer = pyzipper.AESZipFile(archive)
    except _zip_errors((OSError, ValueError, EOFError)) as exc:
        raise ExchangeError(f"{archive} : archive illisible, tronquée ou endommagée") from exc
    if password is not None:
        outer.setpassword(password.encode("utf-8"))
    return outer


def _read_errors(name: str) -> Callable[[BaseException], ExchangeError]:
    def convert(exc: BaseException) -> ExchangeError:
        text = str(exc)
        if isinstance(exc, RuntimeError) and "password" in text.lower():
            return WrongPassword("mot de passe incorrect : vérifiez-le auprès de l'expéditeur (il a dû vous être transmis par un autre canal)")
        if "HMAC" in text or isinstance(exc, zlib.error) or "CRC" in text:
            return ExchangeError(
                f"« {name} » : contenu altéré (contrôle d'intégrité en échec) ou mot de passe incorrect ; "
                "demandez un nouvel envoi")
        return ExchangeError(f"« {name} » : lecture impossible ({type(exc).__name__}), archive endommagée")

    return convert


def _stream(open_entry: Callable[[], IO[bytes]], name: str, limit: int) -> Iterator[bytes]:
    """Chunks of an entry, stopping at ``limit`` bytes (a lying size header cannot fill the disk)."""
    convert = _read_errors(name)
    try:
        with open_entry() as handle:
            produced = 0
            while chunk := handle.read(CHUNK):
                produced += len(chunk)
                if produced > limit:
                    raise ExchangeError(f"« {name} » : plus de données que la taille annoncée, archive refusée")
                yield chunk
    except ExchangeError:
        raise
    except _zip_errors((RuntimeError, zlib.error, EOFError, ValueError, OSError, NotImplementedError)) as exc:
        raise convert(exc) from exc


def open_archive(
    archive: Path,
    password: str | None,
    target: Path | None,
    *,
    overwrite: bool = False,
    max_total: int = DEFAULT_MAX_TOTAL,
    max_ratio: int = DEFAULT_MAX_RATIO,
    identities: str | None = None,
) -> OpenResult:
    """Check (``target=None``) or extract an archive; every file is checked before it gets its name.

    An age file (public-key mode) is opened with ``identities`` (the text of an identity file).
    """
    if not archive.is_file():
        raise UsageError(f"{archive} : archive introuvable")
    result = OpenResult(archive_sha256=sha256_file(archive))
    from dpa_kit.agecrypt import decrypt_chunks, is_age, parse_identities

    if is_age(archive):
        if not identities:
            raise UsageError(f"{archive} est chiffré pour une clé publique : indiquez votre clé privée avec --identity FICHIER")
        keys = parse_identities(identities)
        with archive.open("rb") as source:
            _open_decrypted(decrypt_chunks(source, keys), target, overwrite, max_total, max_ratio, result)
        return result
    if password is None:
        raise UsageError("mot de passe attendu : --password-file FICHIER ou variable DPA_KIT_PASSWORD")
    outer = _open_outer(archive, password)
    with outer:
        infos = outer.infolist()
        if not infos:
            raise ExchangeError(f"{archive} : archive vide")
        if len(infos) == 1 and infos[0].filename == INNER_NAME:
            _open_dpa_kit(outer, infos[0], target, overwrite, max_total, max_ratio, result)
        else:
            entries = _check_entries(infos, max_total, max_ratio)
            _extract(entries, lambda info: outer.open(info), target, overwrite, None, result)
    return result


def _open_dpa_kit(outer: Any, info: Any, target: Path | None, overwrite: bool, max_total: int, max_ratio: int,
                  result: OpenResult) -> None:
    if target is None:
        # Checking only: nothing may touch the disk. Read the whole encrypted entry once so that its HMAC is
        # checked, then read the inner zip through the (seekable, slower) decrypting stream.
        for _ in _stream(lambda: outer.open(info), INNER_NAME, info.file_size):
            pass
        _read_inner(lambda: outer.open(info), None, overwrite, max_total, max_ratio, result)
        return
    _open_decrypted(_stream(lambda: outer.open(info), INNER_NAME, info.file_size), target, overwrite, max_total,
                    max_ratio, result)


def _open_decrypted(chunks: Iterator[bytes], target: Path | None, overwrite: bool, max_total: int, max_ratio: int,
                    result: OpenResult) -> None:
    """Write the decrypted inner zip to a private folder, then check or extract it; the folder always goes.

    Extracting: the files will be in clear in ``target`` anyway; the inner zip is decrypted once into a
    private (0700) folder inside ``target`` (its authentication checked during that single pass) and the
    folder is removed whatever happens (error, Ctrl-C). Checking an age file: a private folder in the
    system's temporary folder, removed the same way.
    """
    if target is not None:
        target.mkdir(parents=True, exist_ok=True)
    private = Path(tempfile.mkdtemp(dir=target, prefix=".dpa-kit-"))
    try:
        inner_path = private / INNER_NAME
        written = 0
        with inner_path.open("wb") as handle:
            for chunk in chunks:
                written += len(chunk)
                if written > max_total:
                    raise ExchangeError(f"archive refusée : plus de {max_total // (1 << 20)} Mio une fois déchiffrée")
                handle.write(chunk)
        _read_inner(lambda: inner_path.open("rb"), target, overwrite, max_total, max_ratio, result)
    finally:
        shutil.rmtree(private, ignore_errors=True)


def _read_inner(open_inner: Callable[[], IO[bytes]], target: Path | None, overwrite: bool, max_total: int,
                max_ratio: int, result: OpenResult) -> None:
    convert = _read_errors(INNER_NAME)
    try:
        with open_inner() as source, zipfile.ZipFile(source) as inner:
            infos = inner.infolist()
            manifest_info = next((i for i in infos if i.filename == MANIFEST_NAME), None)
            manifest = None
            if manifest_info is not None:
                raw = b"".join(_stream(lambda: inner.open(manifest_info), MANIFEST_NAME, 16 << 20))
                try:
                    manifest = Manifest.from_json(json.loads(raw.decode("utf-8")))
                except (ValueError, KeyError, TypeError) as exc:
                    raise ExchangeError("manifeste de l'archive illisible : archive altérée") from exc
            entries = _check_entries([i for i in infos if i is not manifest_info], max_total, max_ratio)
            result.manifest = manifest
            _extract(entries, lambda i: inner.open(i), target, overwrite, manifest, result)
    except ExchangeError:
        raise
    except _zip_errors((RuntimeError, zlib.error, EOFError, ValueError, OSError)) as exc:
        raise convert(exc) from exc


def _extract(entries: list[zipfile.ZipInfo], opener: Callable[[zipfile.ZipInfo], IO[bytes]], target: Path | None,
             overwrite: bool, manifest: Manifest | None, result: OpenResult) -> None:
    expected = {f.path: f for f in manifest.files} if manifest else {}
    if manifest is not None:
        names = {e.filename for e in entries}
        missing = [path for path in expected if path not in names]
        extra = [name for name in names if name not in expected]
        if missing or extra:
            raise ExchangeError(
                "l'archive ne correspond pas à son manifeste : "
                + "; ".join(filter(None, [f"manquant(s) : {', '.join(missing)}" if missing else "",
                                          f"en trop : {', '.join(extra)}" if extra else ""])))
    if target is not None:
        target.mkdir(parents=True, exist_ok=True)
        root = target.resolve()
        if not overwrite:
            clashes = [e.filename for e in entries if (root / e.filename).exists() and not e.is_dir()]
            if clashes:
                raise UsageError(f"{', '.join(clashes[:5])} existe(nt) déjà dans {target} : videz le dossier ou ajoutez --force")
    for info in entries:
        digest = hashlib.sha256()
        size = 0
        declared = expected.get(info.filename)
        limit = declared.size if declared else info.file_size
        chunks = _stream(functools.partial(opener, info), info.filename, limit)
        if target is None:
            for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
        else:
            size = _write_checked(root, info.filename, chunks, digest, declared)
        if declared is not None and (digest.hexdigest() != declared.sha256 or size != declared.size):
            raise ExchangeError(f"« {info.filename} » : empreinte SHA-256 différente du manifeste, fichier altéré ; demandez un nouvel envoi")
        result.files.append(FileEntry(info.filename, size, digest.hexdigest()))
        result.total_size += size
    result.verified = manifest is not None


def _write_checked(root: Path, name: str, chunks: Iterator[bytes], digest: Any, declared: FileEntry | None) -> int:
    final = (root / name).resolve()
    if root not in final.parents:
        raise ExchangeError(f"entrée « {name} » refusée : elle sortirait du dossier de destination")
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=final.parent, prefix=".dpa-kit-", suffix=".part")
    size = 0
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                digest.update(chunk)
                handle.write(chunk)
                size += len(chunk)
        if declared is not None and (digest.hexdigest() != declared.sha256 or size != declared.size):
            raise ExchangeError(f"« {name} » : empreinte SHA-256 différente du manifeste, fichier altéré ; demandez un nouvel envoi")
        os.replace(temp_name, final)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return size


def record(ledger_path: Path, direction: str, *, convention: str | None, counterpart: str | None, archive_sha256: str,
           files: int, total_size: int) -> bool:
    """Record an exchange in the ledger when it exists (never names nor contents); True if recorded."""
    from dpa_kit.ledger import Ledger

    if not ledger_path.exists():
        return False
    Ledger(ledger_path).append(f"exchange.{direction}", convention or "-", {
        "direction": direction, "convention": convention, "counterpart": counterpart,
        "archive_sha256": archive_sha256, "files": files, "total_size": total_size,
    })
    return True
