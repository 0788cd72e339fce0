"""Ingest web-server logs into a tenant's anonymous visit statistics.

Streaming and bounded: a source is read in chunks of about a megabyte (each remembered
by its digest, so a chunk already counted is skipped), and up to ``BATCH_CHUNKS`` chunks
are parsed and counted together as one batch of columns (``formats``, ``tally``). The
statistics are added to the ledger every ``FLUSH_CHUNKS`` chunks, with the digests of the
chunks they came from, or written to a partial file that ``partial.merge`` adds later.
Addresses and user agents never leave memory; see ``visitors``.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keepfaith.collect.logs import formats, partial, sources
from keepfaith.collect.logs.tally import Tallier
from keepfaith.collect.logs.visitors import Memory
from keepfaith.exceptions import ConfigurationError
from keepfaith.ledger import statistics
from keepfaith.ledger.statistics import DayStats

if TYPE_CHECKING:
    from keepfaith.ledger import Ledger

BATCH_CHUNKS = 8
"""Chunks parsed and counted together (about 8 MB of log): big enough that per-batch
costs vanish, small enough that memory stays flat."""
FLUSH_CHUNKS = 256
"""Chunks counted between two writes to the database (about 256 MB of log): the rows
written grow far slower than the lines (a day's pages and moves repeat), so fewer writes
cost less."""
MAX_BAD_LINES = 1000
"""How many bad line numbers the result lists (all are counted)."""


@dataclass
class IngestResult:
    """What an ingestion did. It names lines by number only, never by content."""

    lines: int = 0
    """Lines read, including those skipped as already counted."""
    counted: int = 0
    """Lines in chunks counted now."""
    skipped: int = 0
    """Lines in chunks counted before (same content), not counted again."""
    bad: int = 0
    """Lines that could not be read; ingestion went on without them."""
    bad_lines: list[tuple[str, int]] = field(default_factory=list)
    """``(source, 1-based line number)`` of the first ``MAX_BAD_LINES`` bad lines."""
    requests: int = 0
    pageviews: int = 0
    days: set[dt.date] = field(default_factory=set)
    formats: dict[str, str] = field(default_factory=dict)
    """Format used for each source."""


def ingest(
    ledger: Ledger | None,
    tenant: str,
    paths: Iterable[str | Path],
    *,
    fmt: str = "auto",
    campaign: Iterable[str] = (),
    memory: Memory | None = None,
    progress: Callable[[int], None] | None = None,
    geoip: str | Path | None = None,
    partial_file: str | Path | None = None,
) -> IngestResult:
    """Count the logs at ``paths`` (``-`` is standard input; gzip is detected) for ``tenant``.

    The statistics are added to ``ledger``, or, with ``partial_file``, written to that
    file instead (``ledger`` may then be ``None``: nothing is read from or written to a
    database; ``partial.merge`` adds the file later, on any machine). ``campaign`` names
    the query parameters kept on pages. ``memory`` holds the day's salts and open visits;
    give the same one to ingestions that must merge exactly. ``progress`` is called with
    the number of input bytes consumed since its last call. ``geoip`` is a MaxMind DB
    file: page views are then counted by country too.
    """
    if fmt not in formats.FORMATS:
        raise ConfigurationError(f"unknown log format {fmt!r}; choose one of {formats.FORMATS}")
    if ledger is None and partial_file is None:
        raise ConfigurationError("give a ledger or a partial file to write")
    geoip_file = str(geoip) if geoip else None
    tallier = Tallier(memory or Memory(), tenant, frozenset(campaign), geoip_file)
    run = _Run(ledger if partial_file is None else None, tenant, tallier)
    for name in [str(path) for path in paths]:
        run.source(name, fmt, progress)
    run.flush()
    if partial_file is not None:
        partial.write(partial_file, tenant, run.written, run.written_chunks)
    return run.result


class _Run:
    """One ingestion: the statistics not yet written, the result so far."""

    def __init__(self, ledger: Ledger | None, tenant: str, tallier: Tallier) -> None:
        self.ledger = ledger
        self.tenant = tenant
        self.tallier = tallier
        self.result = IngestResult()
        self.chunks: list[tuple[str, int]] = []
        self.seen: set[str] = set()
        self.written: dict[dt.date, DayStats] = {}
        """Without a ledger: everything counted, for the partial file."""
        self.written_chunks: list[tuple[str, int]] = []
        self.line = 0
        """Lines of the source at hand before the run being counted."""

    def source(self, path: str, fmt: str, progress: Callable[[int], None] | None) -> None:
        """Count one source. The next batch is parsed in a thread while this one is
        counted (both spend their time outside the interpreter lock); counting stays in
        log order, which visits need."""
        self.line = 0  # lines of this source before the run at hand
        waiting: deque[tuple[list[_Chunk], Future[Any] | None]] = deque()
        """Runs in log order: new ones with their parsing, the others with ``None``."""
        with sources.opened(path) as (stream, raw), ThreadPoolExecutor(1) as parser:
            for batch in _batches(sources.chunks(stream, _progress_reader(raw, progress))):
                if fmt == "auto":
                    fmt = formats.detect(batch[0][1][:65536])
                self.result.formats[path] = fmt
                for run, new in self._runs(batch):
                    data = [chunk[1] for chunk in run]
                    waiting.append(
                        (run, parser.submit(formats.parse_chunks, data, fmt) if new else None)
                    )
                    while sum(parsed is not None for _, parsed in waiting) > 1 or (
                        waiting and waiting[0][1] is None
                    ):
                        self._count(path, *waiting.popleft())
            while waiting:
                self._count(path, *waiting.popleft())

    def _runs(self, batch: list[_Chunk]) -> Iterator[tuple[list[_Chunk], bool]]:
        """Consecutive chunks of ``batch`` that are all new, or all counted before."""
        counted = self._counted([chunk[0] for chunk in batch])
        run: list[_Chunk] = []
        new = True
        for chunk in batch:
            fresh = chunk[0] not in counted and chunk[0] not in self.seen
            self.seen.add(chunk[0])
            if run and fresh != new:
                yield run, new
                run = []
            run.append(chunk)
            new = fresh
        if run:
            yield run, new

    def _counted(self, digests: list[str]) -> set[str]:
        if self.ledger is None:
            return set()
        with self.ledger.reading() as tx:
            return statistics.counted(tx, self.tenant, digests)

    def _count(self, path: str, run: list[_Chunk], parsed: Future[Any] | None) -> None:
        """Count a run of new chunks (``parsed``), or skip one counted before."""
        result = self.result
        if parsed is None:
            lines = sum(chunk.count(b"\n") for _, chunk in run)
            result.skipped += lines
            result.lines += lines
            self.line += lines
            return
        table, bad, per_chunk = parsed.result()
        undated = self.tallier.tally(table)
        lines = sum(per_chunk)
        result.counted += lines
        result.lines += lines
        result.bad += len(bad) + undated
        room = max(MAX_BAD_LINES - len(result.bad_lines), 0)
        result.bad_lines.extend((path, self.line + number + 1) for number in bad[:room])
        self.line += lines
        self.chunks += [(digest, n) for (digest, _), n in zip(run, per_chunk, strict=True)]
        if len(self.chunks) >= FLUSH_CHUNKS:
            self.flush()

    def flush(self) -> None:
        """Add what the batches since the last flush counted to the ledger (or keep it
        for the partial file), with the digests of their chunks."""
        pending = self.tallier.drain()
        if not self.chunks and not pending:
            return
        result = self.result
        for day, stats in pending.items():
            result.days.add(day)
            result.requests += stats.totals["requests"]
            result.pageviews += stats.totals["pageviews"]
        if self.ledger is None:
            for day, stats in pending.items():
                self.written.setdefault(day, DayStats()).add(stats)
            self.written_chunks += self.chunks
        else:
            with self.ledger.transaction() as tx:
                statistics.add(tx, self.tenant, pending, self.chunks)
        self.chunks = []


_Chunk = tuple[str, bytes]
"""A chunk's digest and its bytes."""


def _batches(chunks: Iterator[tuple[str, bytes]]) -> Iterator[list[_Chunk]]:
    batch: list[_Chunk] = []
    for digest, chunk in chunks:
        batch.append((digest, chunk))
        if len(batch) == BATCH_CHUNKS:
            yield batch
            batch = []
    if batch:
        yield batch


def _progress_reader(raw: Any, progress: Callable[[int], None] | None) -> Callable[[], None]:
    position = [0]

    def read() -> None:
        if progress is None:
            return
        try:
            now = raw.tell()
        except (OSError, ValueError):
            return
        progress(now - position[0])
        position[0] = now

    return read
