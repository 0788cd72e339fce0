"""Log sources: files (plain or gzip) or standard input, read as chunks of whole lines.

Chunk boundaries depend only on the content (``CHUNK_SIZE`` bytes, then the rest of the
line they end in), never on how reads return, so the same log always splits into the
same chunks, and each chunk's digest says whether it was counted before.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from keepfaith.exceptions import NotFound

CHUNK_SIZE = 1 << 20
"""About how many bytes one chunk holds (one unit of work, one digest)."""

_GZIP_MAGIC = b"\x1f\x8b"


def size_of(source: str | Path) -> int | None:
    """Bytes to read from ``source`` on disk (compressed size for gzip), if known."""
    if str(source) == "-":
        return None
    try:
        return os.path.getsize(source)
    except OSError:
        return None


@contextmanager
def opened(source: str | Path) -> Iterator[tuple[BinaryIO, BinaryIO]]:
    """``(lines, raw)``: a stream of decompressed bytes, and the raw stream for progress."""
    if str(source) == "-":
        raw: BinaryIO = sys.stdin.buffer
    else:
        try:
            raw = open(source, "rb")  # noqa: SIM115 - closed below
        except FileNotFoundError:
            raise NotFound(f"no such log file: {source}") from None
    try:
        peek = raw.peek(2)[:2] if hasattr(raw, "peek") else b""
        if peek == _GZIP_MAGIC:
            with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
                yield stream, raw  # type: ignore[misc]
        else:
            yield raw, raw
    finally:
        if raw is not sys.stdin.buffer:
            raw.close()


def chunks(
    stream: BinaryIO, on_read: Callable[[], None] | None = None
) -> Iterator[tuple[str, bytes]]:
    """``(digest, chunk)`` for each chunk of whole lines; a last unterminated line gets one.

    A chunk is ``CHUNK_SIZE`` bytes and the rest of the line they end in.
    """
    while True:
        chunk = stream.read(CHUNK_SIZE)
        if on_read is not None:
            on_read()
        if not chunk:
            return
        if not chunk.endswith(b"\n"):
            chunk += stream.readline()
            if not chunk.endswith(b"\n"):
                chunk += b"\n"
        yield digest(chunk), chunk


def digest(chunk: bytes) -> str:
    return hashlib.sha256(chunk).hexdigest()
