"""Benchmark of log ingestion: keepfaith against GoAccess on the same 5-million-line log.

    python benchmarks/logs.py                                  # 5M lines, then 50M alone
    python benchmarks/logs.py --lines 200000 --big-lines 0     # a smoke run
    python benchmarks/logs.py --engines --big-lines 0          # also polars against DuckDB

The log is built at run time (never committed) by replaying the real Apache log of
``../shared/data`` 500 times: copy ``k`` is shifted by ``k mod 28`` days and has its
addresses varied (first octet moved by ``k``), and each day's lines are sorted by time,
as a busy server writes them. The truncated line of the real log is replayed too, so the
big log has one bad line per 10,000. Then, on that same file, in the same run:

- keepfaith: ``keepfaith logs ingest`` into a fresh SQLite ledger (one process: the
  next batch is cut in a thread while this one is counted, and polars' own threads),
  timed, with its peak memory (the proportional set size of the whole process tree,
  sampled every 20 ms);
- GoAccess (Debian's ``goaccess``, installed with apt-get if missing), timed, writing
  its JSON report, with the combined log format.

- the floor: the time polars (the engine keepfaith counts with) takes only to read the
  same file in keepfaith's chunks and make each batch a column of lines, nothing else;

then keepfaith alone on a log ten times as big (``--big-lines``, 50M by default), with
its floor, to show that time grows linearly and memory does not. ``--engines`` first
times the two columnar engines considered on the same first million lines doing the
same work (one regular expression for the fields, then the group-bys), in polars and in
DuckDB. Every figure and the ratios are printed: wall clock, and CPU seconds of each
program's whole process tree (which other jobs on a shared machine disturb much less).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("KEEPFAITH_SHARED", ROOT.parent / "shared"))
REAL_LOG = SHARED / "data" / "access-logs" / "elastic-apache.log"
HEAD = re.compile(rb"^(\d+)\.(\S+ .*?\[)(\d\d/\w{3}/\d{4}):(\d\d:\d\d:\d\d)(.*)$")
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
SPREAD = 28
"""Copies are spread over this many days."""


def build(path: Path, lines: int) -> int:
    """Write a log of about ``lines`` lines replayed from the real one; return its lines."""
    by_day: dict[dt.date, list[tuple[bytes, int, bytes, bytes, bytes]]] = {}
    for raw in REAL_LOG.read_bytes().splitlines():
        match = HEAD.match(raw)
        assert match is not None
        octet, rest, day, clock, tail = match.groups()
        when = dt.datetime.strptime(day.decode(), "%d/%b/%Y").date()
        by_day.setdefault(when, []).append((clock, int(octet), rest, clock, tail))
    real = sum(map(len, by_day.values()))
    copies = max(1, round(lines / real))
    first, last = min(by_day), max(by_day) + dt.timedelta(days=SPREAD - 1)
    written = 0
    with path.open("wb") as out:
        day = first
        while day <= last:
            stamp = f"{day.day:02d}/{MONTHS[day.month - 1]}/{day.year}".encode()
            batch = []
            for source, entries in by_day.items():
                shift = (day - source).days
                for copy in range(shift, copies, SPREAD) if 0 <= shift < SPREAD else ():
                    for clock, octet, rest, _, tail in entries:
                        first_octet = (octet + copy) % 223 + 1
                        batch.append(
                            (clock, b"%d.%s%s:%s%s" % (first_octet, rest, stamp, clock, tail))
                        )
            batch.sort(key=lambda entry: entry[0])
            out.write(b"".join(line + b"\n" for _, line in batch))
            written += len(batch)
            day += dt.timedelta(days=1)
    return written


class PeakMemory:
    """Samples the resident memory of a process and all its descendants."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self.running = True
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()

    def sample(self) -> None:
        while self.running:
            self.peak = max(self.peak, sum(_memory(pid) for pid in _tree(self.pid)))
            time.sleep(0.02)

    def stop(self) -> int:
        self.running = False
        self.thread.join()
        return self.peak


def _tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                children = Path(f"/proc/{current}/task/{task}/children").read_text()
                todo += [int(child) for child in children.split()]
        except OSError:
            continue
    return found


def _memory(pid: int) -> int:
    """Proportional set size: pages shared after ``fork`` are split among the processes
    that share them, so a process tree's sum is the memory it really holds."""
    try:
        for row in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if row.startswith("Pss:"):
                return int(row.split()[1]) * 1024
    except OSError:
        pass
    return 0


def measured(command: list[str]) -> tuple[float, float, int, str]:
    """Run ``command``: wall seconds, CPU seconds of its whole process tree (user and
    system, workers included), peak memory, and its output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    memory = PeakMemory(process.pid)
    out, err = process.communicate()
    elapsed = time.perf_counter() - start
    peak = memory.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode != 0:
        raise SystemExit(err.decode())
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu, peak, out.decode().strip()


def run_keepfaith(log: Path, folder: Path) -> tuple[float, float, int, str]:
    database = f"sqlite:///{folder / 'ledger.db'}"
    command = [sys.executable, "-c", "from keepfaith.cli import main; main()"]
    # The ledger's tables are created before timing starts: the benchmark is ingestion.
    migrate = "import sys; from keepfaith.ledger import Ledger; Ledger(sys.argv[1]).migrate()"
    subprocess.run([sys.executable, "-c", migrate, database], check=True)
    ingest = ["logs", "ingest", str(log), "--tenant", "bench", "--database-url", database]
    return measured([*command, *ingest])


def ensure_goaccess() -> str:
    found = shutil.which("goaccess")
    if found is None:
        subprocess.run(["apt-get", "install", "-y", "goaccess"], check=True, capture_output=True)
        found = shutil.which("goaccess")
    assert found is not None, "goaccess could not be installed"
    return found


def run_goaccess(goaccess: str, log: Path, folder: Path) -> tuple[float, float, int, str]:
    command = [goaccess, str(log), "--log-format=COMBINED", "--no-global-config"]
    command += ["--no-progress", "-o", str(folder / "goaccess.json")]
    elapsed, cpu, peak, _ = measured(command)
    version = subprocess.run([goaccess, "--version"], capture_output=True, text=True)
    return elapsed, cpu, peak, version.stdout.splitlines()[0]


FLOOR = """
import sys
from keepfaith.collect.logs import formats, sources
from keepfaith.collect.logs.ingest import BATCH_CHUNKS
lines = 0
with sources.opened(sys.argv[1]) as (stream, _):
    batch = []
    for _, chunk in sources.chunks(stream):
        batch.append(chunk)
        if len(batch) == BATCH_CHUNKS:
            lines += len(formats.lines(b"".join([*batch, formats.PADDING])))
            batch = []
    lines += len(formats.lines(b"".join([*batch, formats.PADDING]))) if batch else 0
print(lines)
"""
"""Read the log as keepfaith does (chunks, digests, batches joined with the same
padding) and make each batch one polars column of lines: the least any ingestion of
this file on this engine costs."""


def run_floor(log: Path) -> tuple[float, float, int, str]:
    return measured([sys.executable, "-c", FLOOR, str(log)])


ENGINES = {
    "polars": """
import sys, polars as pl
from keepfaith.collect.logs import formats
text = formats.lines(open(sys.argv[1], "rb").read())
fields = text.str.extract_groups(formats._PATTERNS["combined"]).struct.unnest()
fields.columns = list(formats.FIELDS)
for key in ("agent", "request", "referrer"):
    fields.group_by("day", key).len()
fields.select("ip", "agent").unique()
print(len(fields))
""",
    "duckdb": """
import sys, duckdb
from keepfaith.collect.logs import formats
pattern = formats._PATTERNS["combined"].replace("'", "''")
names = ", ".join(f"'{name}'" for name in formats.FIELDS)
db = duckdb.connect()
db.execute(f\"\"\"CREATE TABLE t AS SELECT regexp_extract(line, '{pattern}', [{names}]) AS f
  FROM read_csv('{sys.argv[1]}', columns={{'line': 'VARCHAR'}}, delim='\\x01', quote='',
  escape='', header=false)\"\"\")
for key in ("agent", "request", "referrer"):
    db.execute(f"SELECT f.day, f.{key}, count(*) FROM t GROUP BY ALL").fetchall()
db.execute("SELECT DISTINCT f.ip, f.agent FROM t").fetchall()
print(db.execute("SELECT count(*) FROM t").fetchone()[0])
""",
}
"""The same work in each engine considered: the fields by one regular expression, then
page, agent and referrer counts per day and the distinct people."""


def compare_engines(log: Path, folder: Path, lines: int) -> None:
    sample = folder / "engines.log"
    with log.open("rb") as source, sample.open("wb") as out:
        for _ in range(lines):
            out.write(source.readline())
    times = {}
    for name, script in ENGINES.items():
        wall, cpu, peak, _ = measured([sys.executable, "-c", script, str(sample)])
        times[name] = wall
        print(f"engine {name}: {wall:.2f} s ({cpu:.2f} CPU s), peak {peak / 2**20:,.0f} MiB "
              f"for {lines:,} lines")  # fmt: skip
    print(f"engines: DuckDB takes {times['duckdb'] / times['polars']:.2f} times polars' time")
    sample.unlink()


def report(name: str, lines: int, figures: tuple[float, float, int, str]) -> None:
    wall, cpu, peak, _ = figures
    print(f"{name}: {wall:.2f} s ({cpu:.2f} CPU s), {lines / wall:,.0f} lines/s, "
          f"{lines / cpu:,.0f} lines per CPU second, peak {peak / 2**20:,.0f} MiB")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=5_000_000)
    parser.add_argument("--big-lines", type=int, default=50_000_000, help="0: skip")
    parser.add_argument("--engines", action="store_true", help="compare polars and DuckDB")
    args = parser.parse_args()
    goaccess = ensure_goaccess()
    with tempfile.TemporaryDirectory(prefix="keepfaith-logs-") as tmp:
        folder = Path(tmp)
        log = folder / "access.log"
        started = time.perf_counter()
        lines = build(log, args.lines)
        print(f"log: {lines:,} lines, {log.stat().st_size / 1e6:,.0f} MB, built in "
              f"{time.perf_counter() - started:.1f} s; {os.cpu_count()} CPUs")  # fmt: skip
        if args.engines:
            compare_engines(log, folder, min(lines, 1_000_000))
        ours = run_keepfaith(log, folder)
        report(f"keepfaith ({ours[3]})", lines, ours)
        floor = run_floor(log)
        report("floor (polars: read and split into lines)", lines, floor)
        theirs = run_goaccess(goaccess, log, folder)
        report(theirs[3], lines, theirs)
        print(f"ratio: keepfaith is {theirs[0] / ours[0]:.1f} times as fast as GoAccess "
              f"(wall clock; {theirs[1] / ours[1]:.1f} times less CPU time), and takes "
              f"{ours[0] / floor[0]:.1f} times the floor")  # fmt: skip
        print(f"targets: >= 10x GoAccess: {theirs[0] / ours[0] >= 10}; within 2x of the "
              f"floor: {ours[0] <= 2 * floor[0]}; peak < 512 MiB: "
              f"{ours[2] < 512 * 2**20}")  # fmt: skip
        log.unlink()
        if args.big_lines:
            big = folder / "big.log"
            started = time.perf_counter()
            big_lines = build(big, args.big_lines)
            print(f"big log: {big_lines:,} lines, {big.stat().st_size / 1e9:,.1f} GB, built "
                  f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
            (folder / "ledger.db").unlink()
            large = run_keepfaith(big, folder)
            report(f"keepfaith ({large[3]})", big_lines, large)
            big_floor = run_floor(big)
            report("floor (polars: read and split into lines)", big_lines, big_floor)
            per_line = (large[0] / big_lines) / (ours[0] / lines)
            print(f"linear: {big_lines / lines:.0f}x the lines take {large[0] / ours[0]:.1f}x "
                  f"the time ({per_line:.2f}x the time per line), peak memory "
                  f"{large[2] / ours[2]:.2f}x; {large[0] / big_floor[0]:.1f} times the floor; "
                  f"peak < 512 MiB: {large[2] < 512 * 2**20}")  # fmt: skip


if __name__ == "__main__":
    main()
