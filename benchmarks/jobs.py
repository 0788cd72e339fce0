"""Jobs benchmark: enqueue-and-run rate on PostgreSQL with 1 and 2 worker processes.

Each job is deferred in a unit of work of its own (``jobs.defer`` inside
``ledger.transaction()``, as a capability does it), from several threads at once; each
job's task writes one audit entry in a ledger transaction of its own (the smallest real
job). Then ``keepfaith jobs work --burst`` processes, 1 and then 2, run the queue dry.
The peer, in the same run: procrastinate deferring the same number of jobs through its
own connection pool, without keepfaith's transaction around it.

    python benchmarks/jobs.py                 # 2,000 jobs
    python benchmarks/jobs.py --jobs 10000 --threads 16
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import procrastinate
import sqlalchemy as sa

from keepfaith import jobs
from keepfaith.jobs.postgres import conninfo
from keepfaith.ledger import Ledger

ROOT = Path(__file__).resolve().parents[1]
POSTGRES = os.environ.get(
    "KEEPFAITH_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
KEY = "YmVuY2htYXJrIGF1ZGl0IGtleSwgbmV2ZXIgZm9yIHJlYWwgdXNl"


@jobs.task("bench.touch")
def touch(context: jobs.Context, n: int) -> None:
    """The smallest real job: one audit entry in a ledger transaction of its own."""
    with context.ledger.transaction(actor="bench") as tx:
        tx.audit("touch", "bench", n)


def schema_url(schema: str) -> str:
    sep = "&" if "?" in POSTGRES else "?"
    return f"{POSTGRES}{sep}options=-csearch_path%3D{schema}"


def enqueue(ledger: Ledger, count: int, threads: int, start: int = 0) -> float:
    """Defer ``count`` jobs, one unit of work each, from ``threads`` threads; seconds."""

    def one(n: int) -> None:
        with ledger.transaction(actor="bench") as tx:
            jobs.defer(tx, touch, n=n)

    began = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, range(start, start + count)))
    return time.perf_counter() - began


def enqueue_with_procrastinate(url: str, count: int, threads: int) -> float:
    """The peer: procrastinate's own defer through its own pool, no transaction of ours."""
    app = procrastinate.App(
        connector=procrastinate.SyncPsycopgConnector(
            conninfo=conninfo(url), min_size=threads, max_size=threads
        )
    )
    with app.open():
        began = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(lambda n: app.configure_task("bench.touch").defer(n=n), range(count)))
        return time.perf_counter() - began


def drain(url: str, workers: int) -> float:
    """Run ``workers`` burst worker processes until the queue is empty; seconds."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "KEEPFAITH_DATABASE_URL": url,
        "KEEPFAITH_AUDIT_KEY": KEY,
        "KEEPFAITH_JOB_MODULES": '["benchmarks.jobs"]',
        "KEEPFAITH_JOBS_POLL_SECONDS": "0.1",
    }
    command = [str(Path(sys.executable).with_name("keepfaith")), "jobs", "work", "--burst"]
    began = time.perf_counter()
    running = [
        subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL) for _ in range(workers)
    ]
    for process in running:
        if process.wait() != 0:
            raise SystemExit("a worker failed")
    return time.perf_counter() - began


def busy_seconds(ledger: Ledger) -> float:
    """From the first job's start to the last one's end, as procrastinate recorded them
    (worker processes' start-up, a second or two each, is not the queue's rate)."""
    with ledger.engine.begin() as connection:
        seconds = connection.execute(
            sa.text(
                "SELECT extract(epoch FROM max(at) FILTER (WHERE type = 'succeeded') "
                "- min(at) FILTER (WHERE type = 'started')) FROM procrastinate_events"
            )
        ).scalar_one()
        connection.execute(sa.text("DELETE FROM procrastinate_jobs"))
    return float(seconds)


def pending(ledger: Ledger) -> int:
    with ledger.engine.connect() as connection:
        return int(
            connection.execute(
                sa.text("SELECT count(*) FROM procrastinate_jobs WHERE status <> 'succeeded'")
            ).scalar_one()
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=8)
    options = parser.parse_args()
    schema = f"kf_bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = schema_url(schema)
    try:
        ledger = Ledger(url, audit_key=KEY, pool_size=options.threads)
        ledger.migrate()
        count, threads = options.jobs, options.threads
        print(f"PostgreSQL, {count} jobs per run, {threads} enqueuing threads")
        peer = enqueue_with_procrastinate(url, count, threads)
        with ledger.engine.begin() as connection:
            connection.execute(sa.text("DELETE FROM procrastinate_jobs"))
        rows = []
        for workers in (1, 2):
            seconds = enqueue(ledger, count, threads, start=workers * count)
            drain(url, workers)
            assert pending(ledger) == 0, "jobs left undone"
            ran = busy_seconds(ledger)
            rows.append((workers, count / seconds, count / ran, count / (seconds + ran)))
        print(f"{'':34}{'jobs/s':>10}")
        print(f"{'procrastinate defer (peer)':34}{count / peer:>10,.0f}")
        print(
            f"{'keepfaith defer in a transaction':34}{rows[0][1]:>10,.0f}"
            f"   {rows[0][1] / (count / peer):.2f}x the peer"
        )
        for workers, _, run, both in rows:
            print(
                f"{f'run, {workers} worker process(es)':34}{run:>10,.0f}"
                f"   enqueue and run: {both:,.0f}/s"
            )
        print(f"2 workers / 1 worker: {rows[1][2] / rows[0][2]:.2f}x")
        touched = [e.object_id for e in ledger.audit_entries() if e.action == "touch"]
        print(f"{len(touched)} jobs ran")
        assert len(touched) == len(set(touched)) == 2 * count, "a job ran twice or not at all"
        ledger.verify_audit()
        print("every job ran once; the audit verifies")
        ledger.close()
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
