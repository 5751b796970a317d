"""Limits that stop decompression bombs before anything is decompressed.

A zip's central directory says where each entry starts and how big it is; nothing forces those claims to
be honest. The tricks, and what stops each:

- overlapping entries (many directory records pointing into the same compressed bytes, a 21 KB file
  expanding to gigabytes): every local header is read, each entry's data must end before the next entry
  starts (as CPython 3.12's ``zipfile`` does), and the compressed sizes together cannot exceed the file;
- one very compressible entry, or many tiny ones: the expansion ratio is checked per entry (above
  64 KiB) *and* over the whole archive, not only for large entries;
- a size header that lies: reading stops at the declared size (``exchange`` counts every byte);
- huge entry counts and deep folder nesting: counted;
- nesting archives: only the dpa-kit inner archive is opened, never an archive found inside it.

Every limit is a field of :class:`Limits`; a real 50 GB exchange raises ``max_total``.
"""

from __future__ import annotations

import struct
import zipfile
from dataclasses import dataclass
from typing import IO, Any

__all__ = ["DEFAULT_LIMITS", "Limits", "ZipLimitError", "check_entries", "check_layout"]

GIB = 1 << 30
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_LOCAL_SIGNATURE = b"PK\x03\x04"
RATIO_FLOOR = 64 << 10  # entries smaller than this are only counted in the whole-archive ratio


class ZipLimitError(ValueError):
    """An archive over a limit or built to mislead; ``str()`` is the French reason."""


@dataclass(frozen=True)
class Limits:
    """What an archive may expand to. Raise ``max_total`` for a real 50 GB exchange."""

    max_total: int = 20 * GIB  # bytes once extracted, all files together
    max_ratio: int = 500  # expansion ratio of one entry (above 64 KiB) and of the whole archive
    max_entries: int = 100_000
    max_depth: int = 32  # folder levels of one name

    def __post_init__(self) -> None:
        for name in ("max_total", "max_ratio", "max_entries", "max_depth"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive")


DEFAULT_LIMITS = Limits()


def _mib(size: int) -> str:
    return f"{size / (1 << 20):,.0f} Mio".replace(",", " ")


def check_layout(fp: IO[bytes], infos: list[Any], start_dir: int, length: int) -> None:
    """Each entry's local header read and its data inside its own span of the file: no two entries share
    bytes, none runs into the central directory; the compressed sizes add up to at most the file."""
    if sum(i.compress_size for i in infos) > length:
        raise ZipLimitError(
            "entrées qui se chevauchent (leurs tailles compressées dépassent celle de l'archive) : "
            "bombe de décompression ?"
        )
    ordered = sorted(infos, key=lambda i: i.header_offset)
    for index, info in enumerate(ordered):
        end = ordered[index + 1].header_offset if index + 1 < len(ordered) else start_dir
        if index + 1 < len(ordered) and end == info.header_offset:
            raise ZipLimitError(
                "deux entrées commencent au même endroit de l'archive (entrées qui se chevauchent) : "
                "bombe de décompression ?"
            )
        fp.seek(info.header_offset)
        header = fp.read(_LOCAL_HEADER.size)
        if len(header) < _LOCAL_HEADER.size or header[:4] != _LOCAL_SIGNATURE:
            raise ZipLimitError("en-tête d'entrée absent à l'endroit annoncé : archive endommagée ou falsifiée")
        fields = _LOCAL_HEADER.unpack(header)
        data_start = info.header_offset + _LOCAL_HEADER.size + fields[10] + fields[11]
        if data_start + info.compress_size > end:
            raise ZipLimitError(
                "entrées qui se chevauchent (les mêmes octets servent à plusieurs fichiers) : bombe de décompression ?"
            )


def check_entries(infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    """Counts, total size and expansion ratios declared by the entries, before reading any of them."""
    if len(infos) > limits.max_entries:
        raise ZipLimitError(f"{len(infos)} entrées (au plus {limits.max_entries})")
    total = packed = 0
    for info in infos:
        if info.is_dir():
            continue
        total += info.file_size
        packed += info.compress_size
        if info.file_size > RATIO_FLOOR and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise ZipLimitError(
                f"une entrée se décompresse {info.file_size // max(info.compress_size, 1)} fois "
                f"(au plus {limits.max_ratio}) : bombe de décompression ?"
            )
    if total > limits.max_total:
        raise ZipLimitError(f"{_mib(total)} une fois extraite, au-delà de la limite de {_mib(limits.max_total)}")
    if total > RATIO_FLOOR and total > limits.max_ratio * max(packed, 1):
        raise ZipLimitError(
            f"l'ensemble se décompresse {total // max(packed, 1)} fois (au plus {limits.max_ratio}) : "
            "bombe de décompression ?"
        )
