"""Real worker processes: one killed with SIGKILL mid-job, and two sharing one queue."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from keepfaith import jobs
from keepfaith.ledger import Ledger
from keepfaith.settings import Settings
from tests.conftest import ROOT
from tests.jobs import tasks
from tests.jobs.test_jobs import ours, runs

KEEPFAITH = Path(sys.executable).with_name("keepfaith")


def worker(settings: Settings, *options: str, **environment: str) -> subprocess.Popen[bytes]:
    """``keepfaith jobs work`` in a process of its own, configured as a deployment is."""
    env = {
        **environment,
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "KEEPFAITH_DATABASE_URL": settings.database_url,
        "KEEPFAITH_AUDIT_KEY": settings.audit_key,
        "KEEPFAITH_JOB_MODULES": f'["{tasks.MODULE}"]',
        "KEEPFAITH_JOBS_STALL_SECONDS": str(settings.jobs_stall_seconds),
        "KEEPFAITH_JOBS_POLL_SECONDS": "0.2",
    }
    return subprocess.Popen(
        [str(KEEPFAITH), "jobs", "work", *options],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_for(check: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.1)


def test_a_job_killed_mid_run_finishes_once_after_a_restart(
    ledger: Ledger, settings: Settings, tmp_path: Path
) -> None:
    marker = tmp_path / "runs.txt"
    with ledger.transaction() as tx:
        jobs.defer(tx, tasks.slow_once, key="survivor", marker=str(marker))
    first = worker(settings)
    try:
        wait_for(lambda: marker.exists())
        first.send_signal(signal.SIGKILL)  # no cleanup, no goodbye
    finally:
        first.kill()
        first.communicate(timeout=10)
    [stuck] = ours(ledger)
    assert stuck.status == "doing" and runs(ledger, "survivor") == 0
    time.sleep(settings.jobs_stall_seconds + 0.5)  # its heartbeat is now stale
    second = worker(settings, "--burst")
    _, errors = second.communicate(timeout=60)
    assert second.returncode == 0, errors.decode()
    [done] = ours(ledger)
    assert done.status == "succeeded" and done.attempts == 2
    assert marker.read_text() == "start\nstart\n"
    assert runs(ledger, "survivor") == 1
    assert ledger.verify_audit() > 0  # the killed worker left no broken lane behind


def test_two_worker_processes_share_one_queue_and_run_each_job_once(
    database_kind: str, ledger: Ledger, settings: Settings
) -> None:
    if database_kind != "postgresql":
        pytest.skip("several worker processes share a PostgreSQL queue; SQLite has one worker")
    keys = [f"job-{number}" for number in range(40)]
    with ledger.transaction() as tx:
        for key in keys:
            jobs.defer(tx, tasks.record, key=key, pause=0.05)
    workers = [worker(settings, "--burst") for _ in range(2)]
    for process in workers:
        _, errors = process.communicate(timeout=120)
        assert process.returncode == 0, errors.decode()
    assert {job.status for job in ours(ledger)} == {"succeeded"}
    assert [runs(ledger, key) for key in keys] == [1] * len(keys)
    lanes = {e.lane for e in ledger.audit_entries() if e.action == "ran"}
    assert len(lanes) >= 2  # both processes took jobs (each connection writes its own lane)


def test_new_entries_are_sealed_within_the_setting_by_the_sealer_job(
    ledger: Ledger, settings: Settings, tmp_path: Path
) -> None:
    witness = tmp_path / "witness.json"
    running = worker(
        settings,
        KEEPFAITH_AUDIT_SEAL_SECONDS="1",
        KEEPFAITH_AUDIT_WITNESS_FILE=str(witness),
    )

    def all_sealed() -> bool:
        return all(e.seal is not None for e in ledger.audit_entries())

    try:
        wait_for(all_sealed, 60)  # the worker is up: it sealed the fixture's entry
        for number in range(3):
            with ledger.transaction() as tx:
                tx.audit("test", "nothing", number)
            wait_for(all_sealed, 10)  # seals 1 s apart, with room for a busy machine
    finally:
        running.terminate()
        running.communicate(timeout=30)
    newest = max(e.seal or 0 for e in ledger.audit_entries())
    known = json.loads(witness.read_text())
    assert known["seal"] == newest
    assert ledger.verify_audit(known) == 4
