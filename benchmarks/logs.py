"""Benchmark of log ingestion: keepfaith against GoAccess on the same 5-million-line log.

    python benchmarks/logs.py                  # 5M lines
    python benchmarks/logs.py --lines 500000   # a smoke run

The log is built at run time (never committed) by replaying the real Apache log of
``../shared/data`` 500 times: copy ``k`` is shifted by ``k mod 28`` days and has its
addresses varied (first octet moved by ``k``), and each day's lines are sorted by time,
as a busy server writes them. The truncated line of the real log is replayed too, so the
big log has one bad line per 10,000. Then, on that same file, in the same run:

- keepfaith: ``keepfaith logs ingest`` into a fresh SQLite ledger (its default: worker
  processes over the machine's CPUs), timed, with its peak memory (the proportional
  set size of the whole process tree, sampled every 20 ms);
- GoAccess (Debian's ``goaccess``, installed with apt-get if missing), timed, writing
  its JSON report, with the combined log format.

Every figure and the ratios are printed: wall clock, and CPU seconds of each program's
whole process tree (which other jobs on a shared machine disturb much less).
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
    subprocess.run([*command, "logs", "report", "--tenant", "bench", "--database-url",
                    database], check=True, capture_output=True)  # fmt: skip
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=5_000_000)
    args = parser.parse_args()
    goaccess = ensure_goaccess()
    with tempfile.TemporaryDirectory(prefix="keepfaith-logs-") as tmp:
        folder = Path(tmp)
        log = folder / "access.log"
        started = time.perf_counter()
        lines = build(log, args.lines)
        size = log.stat().st_size
        print(f"log: {lines:,} lines, {size / 1e6:,.0f} MB, built in "
              f"{time.perf_counter() - started:.1f} s; {os.cpu_count()} CPUs")  # fmt: skip
        ours, our_cpu, our_peak, summary = run_keepfaith(log, folder)
        print(f"keepfaith: {ours:.2f} s ({our_cpu:.2f} CPU s), {lines / ours:,.0f} lines/s, "
              f"{lines / our_cpu:,.0f} lines per CPU second, peak memory "
              f"{our_peak / 2**20:,.0f} MiB ({summary})")  # fmt: skip
        theirs, their_cpu, their_peak, name = run_goaccess(goaccess, log, folder)
        print(f"{name}: {theirs:.2f} s ({their_cpu:.2f} CPU s), {lines / theirs:,.0f} lines/s, "
              f"{lines / their_cpu:,.0f} lines per CPU second, peak memory "
              f"{their_peak / 2**20:,.0f} MiB")  # fmt: skip
        print(f"ratio: keepfaith is {theirs / ours:.1f} times as fast as GoAccess "
              f"(wall clock), and uses {their_cpu / our_cpu:.2f} times less CPU time")  # fmt: skip
        print(f"targets: >= 1,000,000 lines/s: {lines / ours >= 1e6}; >= 10x GoAccess: "
              f"{theirs / ours >= 10}; peak < 512 MB: {our_peak < 512 * 2**20}")  # fmt: skip


if __name__ == "__main__":
    main()
