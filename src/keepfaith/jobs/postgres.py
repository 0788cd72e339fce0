"""PostgreSQL's queue: procrastinate, in the ledger's own database and schema.

A job is deferred on the caller's own connection, inside its transaction (procrastinate
3.8+ takes a ``connection`` to defer on), so it exists exactly when the change that
needs it committed. Workers (``keepfaith jobs work``, as many processes on as many
machines as you like) claim jobs with ``FOR UPDATE SKIP LOCKED``, so no job runs twice
at once; procrastinate retries with backoff and runs periodic tasks once per tick across
all workers. keepfaith adds what procrastinate leaves to its users: the reason of each
failed attempt (``job_errors``) and requeueing the jobs of a worker that died.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

import procrastinate
import sqlalchemy as sa
from procrastinate.job_context import JobContext

from keepfaith.jobs.local import reason
from keepfaith.jobs.registry import Context, Task
from keepfaith.ledger import Ledger, Transaction
from keepfaith.ledger.queue import job_errors
from keepfaith.settings import Settings

log = logging.getLogger("keepfaith.jobs")

_deferrer = procrastinate.App(connector=procrastinate.SyncPsycopgConnector())
"""Defers by task name on a connection the caller gives; never opens a pool of its own."""


def defer(tx: Transaction, name: str, args: Mapping[str, Any]) -> int:
    """Queue a job on the caller's connection, inside its transaction; its id."""
    connection = tx.connection.connection.driver_connection
    return int(_deferrer.configure_task(name=name, connection=connection).defer(**dict(args)))


def conninfo(database_url: str) -> str:
    """The libpq URI of a SQLAlchemy URL (``postgresql+psycopg://`` and its query kept)."""
    url = sa.make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def cron(seconds: int) -> str:
    """A procrastinate cron line (seconds as a sixth field) that runs every ``seconds``."""
    if seconds < 60:
        return f"* * * * * */{seconds}"
    minutes = max(seconds // 60, 1)
    return f"*/{minutes} * * * *" if minutes < 60 else f"0 */{max(minutes // 60, 1)} * * *"


def app(ledger: Ledger, settings: Settings, tasks: Mapping[str, Task]) -> procrastinate.App:
    """A procrastinate app whose tasks run keepfaith's, with the ledger they need."""
    queue = procrastinate.App(
        connector=procrastinate.PsycopgConnector(conninfo=conninfo(ledger.database_url))
    )
    for task in tasks.values():
        retry = (
            procrastinate.RetryStrategy(
                max_attempts=task.attempts - 1, exponential_wait=task.backoff
            )
            if task.attempts > 1
            else False
        )
        runner = queue.task(name=task.name, pass_context=True, retry=retry)(
            _runner(ledger, settings, task)
        )
        period = task.period(settings)
        if period is not None:
            queue.periodic(cron=cron(period))(runner)
    return queue


def _runner(ledger: Ledger, settings: Settings, task: Task) -> Any:
    def run(job_context: JobContext, **args: Any) -> None:
        job = job_context.job
        assert job.id is not None
        attempt = job.attempts + 1
        if task.period(settings) is not None:
            args.pop("timestamp", None)  # procrastinate's tick; keepfaith's tasks ignore it
        try:
            task(Context(ledger, settings, job.id, attempt), **args)
        except Exception as error:
            record_failure(ledger, job.id, attempt, reason(error))
            raise

    run.__name__ = task.name.replace(".", "_")
    return run


def record_failure(ledger: Ledger, job_id: int, attempt: int, why: str) -> None:
    with ledger.engine.begin() as connection:
        connection.execute(
            job_errors.insert().values(
                job_id=job_id, attempt=attempt, at=ledger.clock(), reason=why
            )
        )


def work(
    ledger: Ledger, settings: Settings, tasks: Mapping[str, Task], *, burst: bool = False
) -> None:
    """Run a procrastinate worker until interrupted (or, with ``burst``, until idle)."""
    asyncio.run(_work(ledger, app(ledger, settings, tasks), settings, burst))


async def _work(ledger: Ledger, queue: procrastinate.App, settings: Settings, burst: bool) -> None:
    stall = settings.jobs_stall_seconds
    async with queue.open_async():
        await recover(ledger, queue, stall)
        watcher = asyncio.create_task(_recover_every(ledger, queue, stall))
        try:
            await queue.run_worker_async(
                wait=not burst,
                update_heartbeat_interval=max(stall / 3, 0.2),
                stalled_worker_timeout=stall,
                fetch_job_polling_interval=settings.jobs_poll_seconds,
            )
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher


async def _recover_every(ledger: Ledger, queue: procrastinate.App, stall: float) -> None:
    while True:
        await asyncio.sleep(stall)
        await recover(ledger, queue, stall)


async def recover(ledger: Ledger, queue: procrastinate.App, stall: float) -> int:
    """Queue again the jobs of workers whose heartbeat stopped; how many."""
    manager = queue.job_manager
    await manager.prune_stalled_workers(stall)
    stalled = list(await manager.get_stalled_jobs(seconds_since_heartbeat=stall))
    for job in stalled:
        assert job.id is not None
        await asyncio.to_thread(
            record_failure, ledger, job.id, job.attempts + 1, "its worker stopped"
        )
        await manager.retry_job(job, retry_at=dt.datetime.now(dt.UTC))
    if stalled:
        log.warning("jobs: %s job(s) of a stopped worker queued again", len(stalled))
    return len(stalled)


def forget(ledger: Ledger, older_than: dt.timedelta) -> int:
    """Delete succeeded jobs finished longer ago than ``older_than``; how many."""
    with ledger.engine.begin() as connection:
        done = connection.execute(
            sa.text(
                "DELETE FROM procrastinate_jobs j WHERE j.status = 'succeeded' AND NOT EXISTS "
                "(SELECT 1 FROM procrastinate_events e WHERE e.job_id = j.id AND e.at > :cutoff)"
            ),
            {"cutoff": dt.datetime.now(dt.UTC) - older_than},
        )
    return done.rowcount or 0
