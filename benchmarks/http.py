"""HTTP benchmark: consent writes and decision look-ups against ``keepfaith serve``.

The server runs as a subprocess with production settings (uvicorn, ``--workers``, access
log off, rate limit off: every request here comes from one address) on loopback, on
SQLite and on PostgreSQL. Load comes from wrk (Debian's package, installed if missing) in
a separate process, with a Lua script that spreads requests over many people:

- consent writes: ``POST /api/t/parature/consents`` with a person's signed link token,
  giving ``marketing_email`` (one consent event per request);
- decision look-ups: ``POST /api/t/parature/decisions`` with a staff API token.

After the write run the stored consent events are counted: every acknowledged write must
be there (requests still in flight when wrk stops may add a few more), and the audit log
must verify. On PostgreSQL, as docs/serving.md says for production, a ``keepfaith jobs
work`` process runs beside the server (it seals the audit log), and the same run also
measures the two ceilings keepfaith's write rate is given as a share of:

- a do-nothing FastAPI endpoint (``benchmarks/nothing.py``) under uvicorn with the same
  server settings, the same wrk load and body;
- PostgreSQL's raw single-row ``INSERT`` transactions through the same driver (psycopg),
  from as many threads as wrk has connections.

    python benchmarks/http.py                      # both databases, 15 s per run
    python benchmarks/http.py --database postgresql --duration 30 --connections 32
"""

from __future__ import annotations

import sys
from pathlib import Path

# ruff: noqa: E402 (the imports below must come after this fix)
# Run as a script, this file's folder comes first on sys.path and its name would hide the
# standard library's ``http`` package from everything imported below.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]

import argparse
import base64
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

import httpx
import sqlalchemy as sa

from keepfaith.collect.links import link_token
from keepfaith.ledger import Ledger, records, staff, subjects
from keepfaith.ledger.consents import consent_events
from keepfaith.settings import Settings
from keepfaith.web import prepare

ROOT = Path(__file__).resolve().parents[1]
STATEMENT = ROOT / "examples" / "parature" / "statement.yaml"
TENANT = "parature"
SECRET = "benchmark-secret-key-0123456789abcdef"
AUDIT_KEY = base64.b64encode(b"benchmark audit key, never for real use").decode()
POSTGRES = os.environ.get(
    "KEEPFAITH_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

LUA = """
local bodies, auths, n, i = %(bodies)s, %(auths)s, %(n)d, 0
local path = "%(path)s"
setup = function(thread) thread:set("offset", math.random(n)) end
request = function()
  i = i + 1
  local k = ((i + (offset or 0)) %% n) + 1
  return wrk.format("POST", path,
    {["Content-Type"] = "application/json", ["Authorization"] = auths[k]}, bodies[k])
end
done = function(summary, latency, requests)
  io.write(string.format("KF requests=%%d status_errors=%%d socket_errors=%%d\\n",
    summary.requests, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  for _, p in ipairs({50, 90, 99, 99.9}) do
    io.write(string.format("KFP %%g %%d\\n", p, latency:percentile(p)))
  end
end
"""


@dataclass
class Result:
    database: str
    scenario: str
    requests: int
    failed: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    stored: int | None = None
    lost: int | None = None
    audit: str | None = None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--duration", type=int, default=15, help="seconds per measured run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--people", type=int, default=1000, help="subjects spread over")
    args = parser.parse_args()
    wrk = ensure_wrk()
    kinds = ("sqlite", "postgresql") if args.database == "both" else (args.database,)
    results, ceilings = [], {}
    for kind in kinds:
        with database(kind) as url:
            results.extend(run_database(kind, url, wrk, args))
            if kind == "postgresql":
                ceilings = measure_ceilings(url, wrk, args)
    print_table(results, args)
    if ceilings:
        print_shares(results, ceilings)


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk not found: installing Debian's package", file=sys.stderr)
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "install", "-y", "wrk"], check=False)
    if not shutil.which("wrk"):
        subprocess.run([*sudo, "apt-get", "update"], check=True)
        subprocess.run([*sudo, "apt-get", "install", "-y", "wrk"], check=True)
    return shutil.which("wrk") or "wrk"


@contextlib.contextmanager
def database(kind: str) -> Iterator[str]:
    """An empty ledger database: a SQLite file, or a fresh PostgreSQL schema."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/ledger.db"
        return
    schema = f"kf_bench_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(POSTGRES)
    with engine.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES}{'&' if '?' in POSTGRES else '?'}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def run_database(kind: str, url: str, wrk: str, args: argparse.Namespace) -> list[Result]:
    settings = Settings(
        database_url=url, statements=(STATEMENT,), secret_key=SECRET, audit_key=AUDIT_KEY
    )
    prepare(settings)
    people, api_token = populate(url, args.people)
    consent_auth = [f"Bearer {link_token(SECRET, TENANT, str(p))}" for p in people]
    consent_body = [json.dumps({"choices": {"marketing_email": True}})] * len(people)
    decide_body = [
        json.dumps(
            {"subject": p, "purpose": "marketing_email", "categories": ["user.contact.email"]}
        )
        for p in people
    ]
    decide_auth = [f"Bearer {api_token}"] * len(people)
    results = []
    with (
        server(url, args.workers) as base,
        sealer(url, kind),
        tempfile.TemporaryDirectory() as folder,
    ):
        writes = lua(
            Path(folder) / "writes.lua", f"/api/t/{TENANT}/consents", consent_body, consent_auth
        )
        reads = lua(
            Path(folder) / "reads.lua", f"/api/t/{TENANT}/decisions", decide_body, decide_auth
        )
        load(wrk, base, writes, args, seconds=3)  # warm up: caches, pools, plans
        before = count_events(url)
        result = load(wrk, base, writes, args, seconds=args.duration)
        time.sleep(1)  # let requests in flight when wrk stopped finish
        result.stored = count_events(url) - before
        result.lost = max(0, (result.requests - result.failed) - result.stored)
        result.audit = audit_verdict(url)
        results.append(named(result, kind, "consent writes"))
        load(wrk, base, reads, args, seconds=3)
        results.append(
            named(load(wrk, base, reads, args, seconds=args.duration), kind, "decision look-ups")
        )
    return results


def populate(url: str, count: int) -> tuple[list[int], str]:
    """``count`` customers with an email on record, and a staff API token."""
    with Ledger(url, audit_key=AUDIT_KEY) as ledger, ledger.transaction(actor="benchmark") as tx:
        people = []
        for n in range(count):
            subject = subjects.add(tx, TENANT, "customer")
            records.add(
                tx,
                subject,
                "user.contact.email",
                f"person{n}@example.com",
                collection_point="contact_form",
            )
            people.append(subject.id)
        token = staff.create_token(tx, "benchmark", staff.Role.SUPPORT_AGENT)
    return people, token


@contextlib.contextmanager
def server(url: str, workers: int) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "KEEPFAITH_SECRET_KEY": SECRET,
        "KEEPFAITH_RATE_LIMIT_PER_MINUTE": "0",
        "KEEPFAITH_ACCESS_LOG": "false",
        "KEEPFAITH_AUDIT_KEY": AUDIT_KEY,
    }
    command = [
        str(Path(sys.executable).parent / "keepfaith"),
        "serve",
        "--statement",
        str(STATEMENT),
        "--database-url",
        url,
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    with running(command, env, f"http://127.0.0.1:{port}") as base:
        yield base


@contextlib.contextmanager
def sealer(url: str, kind: str) -> Iterator[None]:
    """On PostgreSQL, the ``keepfaith jobs work`` process production runs beside serve."""
    if kind != "postgresql":
        yield  # on SQLite, serve runs the worker itself
        return
    env = {**os.environ, "KEEPFAITH_AUDIT_KEY": AUDIT_KEY, "KEEPFAITH_DATABASE_URL": url}
    command = [str(Path(sys.executable).parent / "keepfaith"), "jobs", "work"]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
        try:
            yield
        finally:
            process.terminate()
            process.wait(timeout=30)
            for failure in server_errors(log)[:1]:
                print(f"the jobs worker logged an error:\n{failure}", file=sys.stderr)


def audit_verdict(url: str) -> str:
    """Seal what is left, then verify the whole audit log and the rows it recorded."""
    from keepfaith.ledger.verify import verify

    with Ledger(url, audit_key=AUDIT_KEY) as ledger:
        ledger.seal_audit()
        result = verify(ledger)
    if result.problems:
        return f"BROKEN: {result.problems[0]}"
    return f"verifies ({result.entries} entries, {result.seals} seals)"


def measure_ceilings(url: str, wrk: str, args: argparse.Namespace) -> dict[str, Result]:
    """The do-nothing endpoint's rate under the same load, and raw INSERT transactions."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        sys.executable, "-m", "uvicorn", "benchmarks.nothing:app",
        "--port", str(port), "--workers", str(args.workers),
        "--no-access-log", "--no-server-header",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    body = [json.dumps({"choices": {"marketing_email": True}})]
    up = running(command, env, f"http://127.0.0.1:{port}", probe="/openapi.json")
    with up as base, tempfile.TemporaryDirectory() as folder:
        script = lua(Path(folder) / "nothing.lua", "/nothing", body, ["Bearer x"])
        load(wrk, base, script, args, seconds=3)
        nothing = named(load(wrk, base, script, args, args.duration), "", "do-nothing")
    return {"do-nothing endpoint": nothing, "raw INSERT transactions": raw_inserts(url, args)}


def raw_inserts(url: str, args: argparse.Namespace) -> Result:
    """Single-row INSERT transactions through psycopg from ``connections`` threads."""
    import psycopg

    from keepfaith.jobs.postgres import conninfo

    with psycopg.connect(conninfo(url), autocommit=True) as setup:
        setup.execute("CREATE TABLE bench_inserts (id bigserial PRIMARY KEY, body text)")
    stop, counts, latencies = threading.Event(), [0] * args.connections, []

    def insert(slot: int) -> None:
        with psycopg.connect(conninfo(url)) as connection:
            while not stop.is_set():
                began = time.perf_counter()
                with connection.transaction():
                    connection.execute("INSERT INTO bench_inserts (body) VALUES (%s)", ("x",))
                latencies.append(time.perf_counter() - began)
                counts[slot] += 1

    threads = [threading.Thread(target=insert, args=(n,)) for n in range(args.connections)]
    for thread in threads:
        thread.start()
    time.sleep(args.duration)
    stop.set()
    for thread in threads:
        thread.join()
    ordered = sorted(latencies)

    def at(share: float) -> float:
        return ordered[min(int(len(ordered) * share), len(ordered) - 1)] * 1000

    return Result(
        "postgresql", "raw INSERT", sum(counts), 0, args.duration, at(0.5), at(0.9), at(0.99)
    )


@contextlib.contextmanager
def running(command: list[str], env: dict[str, str], base: str, probe: str = "/") -> Iterator[str]:
    with tempfile.TemporaryFile() as log:
        # Its own session, so that stopping it stops every worker too.
        process = subprocess.Popen(command, env=env, stdout=log, stderr=log, start_new_session=True)
        try:
            wait_until_up(base + probe, process, log)
            yield base
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            failures = server_errors(log)
            if failures:
                print(
                    f"server logged {len(failures)} errors; first:\n{failures[0]}", file=sys.stderr
                )


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: IO[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise SystemExit(f"server exited: {log.read().decode()}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(url).status_code == 200:
                time.sleep(1)  # every worker up
                return
        time.sleep(0.2)
    raise SystemExit("server did not start within 60 s")


def server_errors(log: IO[bytes]) -> list[str]:
    """The tracebacks the server logged, each as text."""
    log.seek(0)
    text = log.read().decode(errors="replace")
    return ["Traceback" + part[-3000:] for part in text.split("Traceback")[1:]]


def lua(path: Path, url_path: str, bodies: list[str], auths: list[str]) -> Path:
    def table(items: list[str]) -> str:
        return "{" + ",".join(json.dumps(item) for item in items) + "}"

    path.write_text(
        LUA % {"bodies": table(bodies), "auths": table(auths), "n": len(bodies), "path": url_path}
    )
    return path


def load(wrk: str, base: str, script: Path, args: argparse.Namespace, seconds: int) -> Result:
    command = [
        wrk,
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        base,
    ]
    started = time.monotonic()
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    elapsed = time.monotonic() - started
    counts = dict(
        re.findall(
            r"(\w+)=(\d+)", next(line for line in output.splitlines() if line.startswith("KF "))
        )
    )
    percentiles = {
        float(p): int(us) / 1000 for p, us in re.findall(r"^KFP (\S+) (\d+)$", output, re.M)
    }
    amount, unit = re.search(r"requests in ([\d.]+)(us|ms|s|m)\b", output).groups()
    measured = float(amount) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]
    return Result(
        database="",
        scenario="",
        requests=int(counts["requests"]),
        failed=int(counts["status_errors"]) + int(counts["socket_errors"]),
        seconds=measured or elapsed,
        p50_ms=percentiles[50.0],
        p90_ms=percentiles[90.0],
        p99_ms=percentiles[99.0],
    )


def named(result: Result, database: str, scenario: str) -> Result:
    result.database, result.scenario = database, scenario
    return result


def count_events(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return int(
                connection.execute(
                    sa.select(sa.func.count()).select_from(consent_events)
                ).scalar_one()
            )
    finally:
        engine.dispose()


def print_table(results: list[Result], args: argparse.Namespace) -> None:
    print(
        f"\nkeepfaith serve --workers {args.workers}; wrk -t{args.threads} -c{args.connections} "
        f"-d{args.duration}s; {args.people} people; {os.cpu_count()} cores\n"
    )
    print(
        "| database | scenario | requests/s | p50 ms | p90 ms | p99 ms | failed | stored | lost |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        stored = "" if r.stored is None else str(r.stored)
        if r.audit is not None and not r.audit.startswith("verifies"):
            print(f"audit of {r.database}: {r.audit}", file=sys.stderr)
        lost = "" if r.lost is None else str(r.lost)
        print(
            f"| {r.database} | {r.scenario} | {r.rps:,.0f} | {r.p50_ms:.1f} | {r.p90_ms:.1f} "
            f"| {r.p99_ms:.1f} | {r.failed} | {stored} | {lost} |"
        )


def print_shares(results: list[Result], ceilings: dict[str, Result]) -> None:
    [writes] = [r for r in results if r.database == "postgresql" and r.scenario == "consent writes"]
    print(
        f"\nPostgreSQL consent writes: {writes.rps:,.0f}/s, p99 {writes.p99_ms:.1f} ms, "
        f"{writes.failed} failed, {writes.lost} lost; audit {writes.audit}"
    )
    for name, ceiling in ceilings.items():
        print(
            f"- {name}: {ceiling.rps:,.0f}/s (p99 {ceiling.p99_ms:.1f} ms); "
            f"keepfaith's writes are {writes.rps / ceiling.rps:.0%} of it"
        )


if __name__ == "__main__":
    main()
