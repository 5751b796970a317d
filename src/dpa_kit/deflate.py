"""Deflate on every core into one ordinary deflate stream (what pigz does), with zlib-ng.

The input is cut into 1 MiB blocks; each block is compressed on its own thread (zlib-ng releases the
GIL), primed with the 32 KiB that precede it so that the ratio stays that of one stream, and ended by a
sync flush (a byte boundary, not a final block); the blocks are joined in order and an empty final block
closes the stream. Any inflater (7-Zip, zlib, Windows) reads the result as one stream. Measured on CSV:
the same size within a few hundred bytes per 40 MB, 1.6x the speed on 2 busy cores.

:class:`ParallelDeflate` has the two methods zipfile calls on its compressor, ``compress`` and ``flush``.
"""

from __future__ import annotations

import os
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor

from zlib_ng import zlib_ng

__all__ = ["BLOCK", "ParallelDeflate"]

BLOCK = 1 << 20
_WINDOW = 32 << 10


def _block(data: bytes, primer: bytes, level: int) -> bytes:
    if primer:
        compressor = zlib_ng.compressobj(level, zlib_ng.DEFLATED, -15, 8, zlib_ng.Z_DEFAULT_STRATEGY, primer)
    else:
        compressor = zlib_ng.compressobj(level, zlib_ng.DEFLATED, -15)
    return bytes(compressor.compress(data) + compressor.flush(zlib_ng.Z_SYNC_FLUSH))


class ParallelDeflate:
    """A raw deflate compressor (``wbits=-15``) that uses up to ``workers`` threads."""

    def __init__(self, level: int, workers: int | None = None) -> None:
        self._level = level
        self._workers = max(1, min(4, workers or os.cpu_count() or 1))
        self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="dpa-kit-deflate")
        self._pending: deque[Future[bytes]] = deque()
        self._buffer = bytearray()
        self._primer = b""

    def _submit(self, data: bytes) -> None:
        self._pending.append(self._pool.submit(_block, data, self._primer, self._level))
        self._primer = data[-_WINDOW:]

    def _ready(self, wait_until: int) -> bytes:
        """Joined output of the finished blocks, in order, waiting while more than ``wait_until`` are pending."""
        out = []
        while self._pending and (len(self._pending) > wait_until or self._pending[0].done()):
            out.append(self._pending.popleft().result())
        return b"".join(out)

    def compress(self, data: bytes) -> bytes:
        self._buffer += data
        while len(self._buffer) >= BLOCK:
            self._submit(bytes(self._buffer[:BLOCK]))
            del self._buffer[:BLOCK]
        return self._ready(2 * self._workers)

    def flush(self) -> bytes:
        try:
            if self._buffer:
                self._submit(bytes(self._buffer))
                self._buffer.clear()
            out = self._ready(0)
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)
        return out + zlib_ng.compressobj(self._level, zlib_ng.DEFLATED, -15).flush()
