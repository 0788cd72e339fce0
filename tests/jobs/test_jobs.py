"""Jobs: written in the caller's transaction, run once, retried, dead with a reason."""

from __future__ import annotations

import time

import pytest
from typer.testing import CliRunner

from keepfaith import jobs
from keepfaith.cli import app
from keepfaith.exceptions import Refused
from keepfaith.ledger import Ledger
from keepfaith.settings import Settings
from tests.jobs import tasks


def runs(ledger: Ledger, key: str) -> int:
    """How many runs of a job with this key ran to their end."""
    return sum(e.action == "ran" and e.object_id == key for e in ledger.audit_entries())


def ours(ledger: Ledger) -> list[jobs.Job]:
    return [job for job in jobs.list_jobs(ledger) if job.task.startswith("tests.")]


def test_a_job_exists_exactly_when_its_transaction_commits(
    ledger: Ledger, settings: Settings
) -> None:
    with pytest.raises(RuntimeError), ledger.transaction() as tx:
        jobs.defer(tx, tasks.record, key="rolled-back")
        raise RuntimeError("the change failed")
    assert ours(ledger) == []
    with ledger.transaction() as tx:
        job_id = jobs.defer(tx, tasks.record, key="kept")
    [job] = ours(ledger)
    assert (job.id, job.task, job.args, job.status) == (
        job_id,
        "tests.record",
        {"key": "kept"},
        "todo",
    )
    jobs.work(ledger, settings, burst=True)
    [done] = ours(ledger)
    assert done.status == "succeeded" and done.attempts == 1 and done.reason is None
    assert runs(ledger, "kept") == 1 and runs(ledger, "rolled-back") == 0


def test_a_job_can_be_deferred_by_name(ledger: Ledger, settings: Settings) -> None:
    with ledger.transaction() as tx:
        jobs.defer(tx, "tests.record", key="by-name")
    jobs.work(ledger, settings, burst=True)
    assert runs(ledger, "by-name") == 1


def test_arguments_that_are_not_json_are_refused(ledger: Ledger) -> None:
    with pytest.raises(Refused, match="must be JSON"), ledger.transaction() as tx:
        jobs.defer(tx, tasks.record, key=object())
    with pytest.raises(Refused), ledger.transaction() as tx:
        jobs.defer(tx, tasks.record, key=float("nan"))
    assert ours(ledger) == []


def test_a_failing_job_is_retried_with_backoff_then_succeeds(
    ledger: Ledger, settings: Settings
) -> None:
    with ledger.transaction() as tx:
        jobs.defer(tx, tasks.flaky, key="flaky", failures=1)
    jobs.work(ledger, settings, burst=True)
    [waiting] = ours(ledger)
    assert waiting.status == "todo" and waiting.attempts <= 1
    assert waiting.reason == "RuntimeError: attempt 1 fails on purpose"
    # Not yet: it waits out its backoff, 3 s (long enough that a slow first burst on a
    # loaded machine does not reach it; at 1 s it sometimes did).
    assert runs(ledger, "flaky") == 0
    time.sleep(3.5)
    jobs.work(ledger, settings, burst=True)
    [done] = ours(ledger)
    assert done.status == "succeeded" and done.attempts == 2
    assert runs(ledger, "flaky") == 1


def test_a_job_that_keeps_failing_is_dead_with_its_reason(
    ledger: Ledger, settings: Settings
) -> None:
    with ledger.transaction() as tx:
        jobs.defer(tx, tasks.broken, key="broken")
    jobs.work(ledger, settings, burst=True)
    time.sleep(1.5)
    jobs.work(ledger, settings, burst=True)
    [dead] = ours(ledger)
    assert dead.status == "dead" and dead.attempts == 2
    assert dead.reason == "ValueError: the remote end refused"
    assert jobs.list_jobs(ledger, "dead") == [dead]
    result = CliRunner().invoke(
        app, ["jobs", "list", "--status", "dead", "--database-url", ledger.database_url]
    )
    assert result.exit_code == 0, result.output
    assert "dead\t2\ttests.broken  ValueError: the remote end refused" in result.output


def test_jobs_list_refuses_an_unknown_state(ledger: Ledger) -> None:
    result = CliRunner().invoke(
        app, ["jobs", "list", "--status", "lost", "--database-url", ledger.database_url]
    )
    assert result.exit_code == 2 and "no state 'lost'" in result.output


def test_the_retention_job_prunes_old_visit_statistics(ledger: Ledger, settings: Settings) -> None:
    """``logs.retention`` applies each tenant's current ``visit_statistics`` rule."""
    import datetime as dt

    from keepfaith.jobs.registry import Context, load
    from keepfaith.ledger import statements
    from keepfaith.ledger.statistics import visit_days
    from keepfaith.statement import loads
    from tests.ledger.support import MINIMAL

    text = MINIMAL.read_text(encoding="utf-8").replace(
        "retention:\n", "retention:\n  - data: visit_statistics\n    days: 30\n"
    )
    text = text.replace('version: "2024-01"', 'version: "2024-02"')
    with ledger.transaction() as tx:
        statements.publish(tx, loads(text), text)
    today = ledger.clock().date()
    with ledger.engine.begin() as connection:
        for age in (400, 31, 29):
            day = today - dt.timedelta(days=age)
            connection.execute(visit_days.insert().values(tenant="acme", day=day))
    load()["logs.retention"](Context(ledger, settings, 0, 1))
    with ledger.engine.connect() as connection:
        left = connection.execute(visit_days.select()).all()
    assert [row.day for row in left] == [today - dt.timedelta(days=29)]


def test_the_in_process_worker_is_woken_by_the_commit(
    database_kind: str, ledger: Ledger, settings: Settings
) -> None:
    if database_kind != "sqlite":
        pytest.skip("the in-process worker is SQLite's; procrastinate listens for its own")
    slow_poll = settings.model_copy(update={"jobs_poll_seconds": 60})
    worker = jobs.start_worker(ledger, slow_poll)
    try:
        time.sleep(0.5)  # past its first look: from now on it sleeps for a minute
        with ledger.transaction() as tx:
            jobs.defer(tx, tasks.record, key="woken")
        deadline = time.monotonic() + 20
        while runs(ledger, "woken") == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert runs(ledger, "woken") == 1
    finally:
        worker.stop()
