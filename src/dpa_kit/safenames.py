"""File names that are safe to create on Linux, Windows and macOS, and safe to print on a terminal.

An archive made on one system is opened on another. A name that Linux accepts can be a device on
Windows (``CON``, ``sub/NUL.txt``), an alternate data stream (``a:b.txt``), a name Windows silently
trims (``rapport.`` becomes ``rapport``), or the same file on macOS and Windows (``café.txt`` in NFC and
in NFD, ``a.txt`` and ``A.TXT``). A control character in a name (newline, ESC) rewrites what a terminal
shows. Every such name is refused with the reason; ``shown`` escapes names for messages so that no raw
control character is ever printed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

__all__ = ["MAX_COMPONENT_BYTES", "MAX_DEPTH", "NameProblem", "check_name", "check_names", "name_key", "shown"]

MAX_DEPTH = 32  # folder levels inside an archive
MAX_COMPONENT_BYTES = 255  # ext4, NTFS and APFS limit of one name

# Windows devices: a file with such a stem (any extension, any case, any folder level) opens the device.
_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in "123456789¹²³"), *(f"LPT{i}" for i in "123456789¹²³")}
# Characters Windows refuses in a name (``:`` also selects an NTFS alternate data stream).
_WINDOWS_FORBIDDEN = set('<>:"|?*')
# Invisible characters that reorder or hide text (``facture\u202egpj.exe`` shows as ``facture.exe.jpg``).
_BIDI = set("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class NameProblem(ValueError):
    """A name that must not be created; ``str()`` is the French reason."""


# Control characters (Unicode category Cc: C0, DEL, C1) and the direction characters above.
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f" + "".join(sorted(_BIDI)) + "]")


def _invisible(char: str) -> bool:
    return _INVISIBLE.match(char) is not None


def shown(name: str) -> str:
    """``name`` with control and direction characters escaped (``\\n``, ``\\x1b``, ``\\u202e``)."""
    if not _INVISIBLE.search(name):
        return name
    out = []
    for char in name:
        if _invisible(char):
            code = ord(char)
            plain = f"\\x{code:02x}" if code < 256 else f"\\u{code:04x}"
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char, plain))
        else:
            out.append(char)
    return "".join(out)


def name_key(name: str) -> str:
    """The form under which Windows and macOS see two names as the same file (NFC, case-folded)."""
    return unicodedata.normalize("NFC", name).casefold()


def check_name(name: str, *, max_depth: int = MAX_DEPTH) -> str:
    """The relative path of an archive entry (``/``-separated, no trailing ``/``), or :class:`NameProblem`
    saying why not."""
    text = name.rstrip("/") if name.endswith("/") else name
    if not text:
        raise NameProblem("nom vide")
    bad = _INVISIBLE.search(text)
    if bad is not None:
        raise NameProblem(f"caractère de contrôle ou invisible ({shown(bad.group())}) dans le nom")
    if "\\" in text:
        raise NameProblem("barre oblique inverse (\\) : chemin Windows, absolu ou sortant du dossier")
    if text.startswith("/"):
        raise NameProblem("chemin absolu")
    parts = text.split("/")
    if ".." in parts:
        raise NameProblem("« .. » : l'entrée sortirait du dossier de destination")
    if len(parts) > max_depth:
        raise NameProblem(f"{len(parts)} niveaux de dossiers (au plus {max_depth})")
    for part in parts:
        if part in ("", "."):
            raise NameProblem("élément de chemin vide ou « . »")
        forbidden = sorted(set(part) & _WINDOWS_FORBIDDEN)
        if ":" in forbidden:
            raise NameProblem("« : » dans le nom (chemin absolu ou lecteur Windows, ou flux de données caché NTFS)")
        if forbidden:
            raise NameProblem(f"caractère interdit sous Windows ({' '.join(forbidden)})")
        if part[-1] in ". ":
            raise NameProblem("nom terminé par un point ou une espace (Windows le tronquerait)")
        stem = part.split(".", 1)[0].rstrip(" ").upper()
        if stem in _DEVICES:
            raise NameProblem(f"« {stem} » est un nom de périphérique réservé sous Windows")
        if len(part.encode("utf-8")) > MAX_COMPONENT_BYTES:
            raise NameProblem(f"élément de nom de plus de {MAX_COMPONENT_BYTES} octets")
    return text


def check_names(names: Iterable[str], *, max_depth: int = MAX_DEPTH) -> list[tuple[str, str]]:
    """Every name checked, then the set: no two names for one file on Windows or macOS, no file that is
    also a folder. Raises :class:`NameProblem` naming the (escaped) entry."""
    checked: list[tuple[str, str]] = []
    seen: dict[str, str] = {}
    folders: dict[str, str] = {}
    for name in names:
        try:
            path = check_name(name, max_depth=max_depth)
        except NameProblem as exc:
            raise NameProblem(f"« {shown(name)} » : {exc}") from None
        key = name_key(path)
        if key in seen:
            same = "même nom" if seen[key] == name else "même nom une fois normalisé (NFC/NFD, majuscules) que"
            raise NameProblem(
                f"« {shown(name)} » : {same} « {shown(seen[key])} » : Windows et macOS n'en feraient qu'un fichier"
            )
        seen[key] = name
        if not name.endswith("/"):
            parent = key
            while "/" in parent:
                parent = parent.rsplit("/", 1)[0]
                folders.setdefault(parent, name)
        checked.append((name, path))
    for key, original in seen.items():
        if key in folders and not original.endswith("/"):
            raise NameProblem(
                f"« {shown(original)} » est à la fois un fichier et le dossier de « {shown(folders[key])} »"
            )
    return checked
