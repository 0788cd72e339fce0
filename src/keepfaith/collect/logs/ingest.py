"""Ingest web-server logs into a tenant's anonymous visit statistics.

Streaming and bounded: chunks of about a megabyte are counted (in worker processes for
big inputs), merged in log order, and written every ``FLUSH_CHUNKS`` chunks together
with their digests, so memory does not grow with the log and a chunk already counted is
skipped. Addresses and user agents never leave memory; see ``visitors``.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from keepfaith.collect.logs import formats, sources, store
from keepfaith.collect.logs.agents import classify
from keepfaith.collect.logs.tally import ChunkTally, DayTally, Tallier, step
from keepfaith.collect.logs.visitors import Memory
from keepfaith.exceptions import ConfigurationError

FLUSH_CHUNKS = 64
"""Chunks counted between two writes to the database (about 64 MB of log)."""
PARALLEL_FROM = 8 * sources.CHUNK_SIZE
"""Inputs at least this big are counted in worker processes."""
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
    target: Any,
    tenant: str,
    paths: Iterable[str | Path],
    *,
    fmt: str = "auto",
    campaign: Iterable[str] = (),
    memory: Memory | None = None,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    geoip: str | Path | None = None,
) -> IngestResult:
    """Count the logs at ``paths`` (``-`` is standard input; gzip is detected) for ``tenant``.

    ``target`` is the ledger: a ``Ledger``, an engine or a database URL whose statistics
    tables exist. ``campaign`` names the query parameters kept on pages. ``memory`` holds
    the day's salts and open visits; give the same one to ingestions that must merge
    exactly. ``workers`` processes count in parallel (default: the CPUs, for big inputs).
    ``progress`` is called with the number of input bytes consumed since its last call.
    ``geoip`` is a MaxMind DB file: page views are then counted by country too.
    """
    if fmt not in formats.FORMATS:
        raise ConfigurationError(f"unknown log format {fmt!r}; choose one of {formats.FORMATS}")
    names = [str(path) for path in paths]
    memory = memory or Memory()
    if workers is None:
        total = sum(sources.size_of(name) or PARALLEL_FROM for name in names)
        workers = min(os.cpu_count() or 1, 2) if total >= PARALLEL_FROM else 0
    with store.engine_of(target) as engine:
        tallying = (memory.secret(), tenant, frozenset(campaign), str(geoip) if geoip else None)
        run = _Run(engine, memory, tallying, workers)
        try:
            for name in names:
                run.source(name, fmt, progress)
            run.flush()
        finally:
            run.close()
    return run.result


_Tallying = tuple[bytes, str, frozenset[str], str | None]
"""What a ``Tallier`` is made of: the secret, the site, campaign parameters, GeoIP file."""


class _Run:
    """One ingestion: the pool, the batch not yet written, the result so far."""

    def __init__(self, engine: Any, memory: Memory, tallying: _Tallying, workers: int) -> None:
        self.engine = engine
        self.tenant = tallying[1]
        self.memory = memory
        self.result = IngestResult()
        self.batch: dict[dt.date, store.DayStats] = {}
        self.digests: list[tuple[str, int]] = []
        self.seen: set[str] = set()
        self.line = 0
        """Lines of the current source merged so far."""
        self.tallier = Tallier(*tallying)
        self.pool: Any = None
        if workers > 0:
            # Parse one agent first: the parser's compiled rules are then shared by the
            # forked workers instead of being built again in each of them.
            classify("Mozilla/5.0")
            methods = multiprocessing.get_all_start_methods()
            context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
            self.pool = context.Pool(workers, _start_worker, tallying)
        self.depth = 2 * workers + 2

    def close(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()

    def source(self, path: str, fmt: str, progress: Callable[[int], None] | None) -> None:
        with sources.opened(path) as (stream, raw):
            read = _progress_reader(raw, progress)
            # Jobs in log order; a chunk already counted is (None, its line count).
            pending: deque[tuple[Any, str | int]] = deque()
            self.line = 0
            for digest, chunk in sources.chunks(stream, read):
                if fmt == "auto":
                    fmt = formats.detect(chunk[:65536])
                self.result.formats[path] = fmt
                if digest in self.seen or self._counted(digest):
                    pending.append((None, chunk.count(b"\n")))
                else:
                    self.seen.add(digest)
                    pending.append((self._submit(chunk, fmt), digest))
                while len(pending) > self.depth:
                    self._merge(path, *pending.popleft())
            while pending:
                self._merge(path, *pending.popleft())

    def _counted(self, digest: str) -> bool:
        with self.engine.connect() as connection:
            return store.seen(connection, self.tenant, digest)

    def _submit(self, chunk: bytes, fmt: str) -> Any:
        if self.pool is None:
            return self.tallier.tally(chunk, fmt)
        return self.pool.apply_async(_work, (chunk, fmt))

    def _merge(self, path: str, job: Any, digest: str | int) -> None:
        result = self.result
        if job is None:  # counted before
            result.lines += int(digest)
            result.skipped += int(digest)
            self.line += int(digest)
            return
        tally: ChunkTally = job if isinstance(job, ChunkTally) else job.get()
        first, self.line = self.line, self.line + tally.lines
        result.lines += tally.lines
        result.counted += tally.lines
        result.bad += len(tally.bad) + tally.undated
        room = MAX_BAD_LINES - len(result.bad_lines)
        result.bad_lines.extend((path, first + n + 1) for n in tally.bad[: max(room, 0)])
        for day, part in tally.days.items():
            result.days.add(day)
            result.requests += part.requests
            result.pageviews += part.pageviews
            self._add(day, part)
        self.digests.append((str(digest), tally.lines))
        if len(self.digests) >= FLUSH_CHUNKS:
            self.flush()

    def _add(self, day: dt.date, part: DayTally) -> None:
        stats = self.batch.get(day)
        if stats is None:
            stats = self.batch[day] = store.DayStats()
        totals = stats.totals
        totals["requests"] += part.requests
        totals["bot_requests"] += part.bot_requests
        totals["pageviews"] += part.pageviews
        totals["bytes"] += part.bytes
        stats.counts.update(part.counts)
        update = stats.sketch.update
        for key in part.visitors:
            update(key)
        totals["sessions"] += part.visits + stitch(self._sessions(day), part, stats.counts)

    def _sessions(self, day: dt.date) -> dict[int, tuple[str, int]]:
        sessions = self.memory.sessions
        if day not in sessions:
            sessions[day] = {}
            # Visits do not span days by much: forget those two days behind the newest.
            for old in [d for d in sessions if (max(sessions) - d).days > 1]:
                del sessions[old]
        return sessions.get(day, {})

    def flush(self) -> None:
        if not self.digests and not self.batch:
            return
        with self.engine.begin() as connection:
            store.save(connection, self.tenant, self.batch, self.digests)
        self.batch = {}
        self.digests = []


def stitch(sessions: dict[int, tuple[str, int]], part: DayTally, counts: Any) -> int:
    """Judge each visitor's first view in a chunk against their last one before it, then
    remember their last; return the visits started."""
    started = 0
    for visitor, (page, second) in part.firsts.items():
        started += step(sessions.get(visitor), page, second, counts)
    sessions.update(part.lasts)
    return started


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


_WORKER: Tallier | None = None


def _start_worker(*tallying: Any) -> None:
    global _WORKER
    _WORKER = Tallier(*tallying)


def _work(chunk: bytes, fmt: str) -> ChunkTally:
    assert _WORKER is not None
    return _WORKER.tally(chunk, fmt)
