"""SQLite's queue: jobs as rows of ``jobs``, run by an in-process worker.

Writers are serialised on SQLite anyway, so claiming a job is one ``UPDATE ...
RETURNING`` that no two workers can both win. A running job's worker touches its
``heartbeat_at``; a job whose heartbeat is older than ``jobs_stall_seconds`` belonged to
a worker that died (``kill -9``, a crash, a power cut) and is queued again.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import weakref
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from keepfaith.jobs.registry import Context, Task
from keepfaith.ledger import Ledger, Transaction
from keepfaith.ledger.queue import job_errors, jobs
from keepfaith.settings import Settings

log = logging.getLogger("keepfaith.jobs")


_running: weakref.WeakSet[Worker] = weakref.WeakSet()
"""The workers of this process, woken when a job they can run has committed."""


def defer(tx: Transaction, name: str, args: Mapping[str, Any]) -> int:
    """Queue a job in the caller's transaction; its id. Once it commits, this process's
    workers on the same database look for it at once rather than at their next poll."""
    now = tx.ledger.clock()
    url = tx.ledger.database_url
    tx.after_commit(lambda: _wake(url))
    return int(
        tx.connection.execute(
            jobs.insert()
            .values(
                task=name, args=dict(args), status="todo", attempts=0, run_after=now, created_at=now
            )
            .returning(jobs.c.id)
        ).scalar_one()
    )


def _wake(database_url: str) -> None:
    for worker in list(_running):
        if worker.ledger.database_url == database_url:
            worker.wake()


def reason(error: BaseException) -> str:
    """Why an attempt failed, as stored: the error's type and message, cut short."""
    return f"{type(error).__name__}: {error}"[:1000]


class Worker:
    """Runs SQLite jobs one at a time until stopped (or, with ``burst``, until idle)."""

    def __init__(self, ledger: Ledger, settings: Settings, tasks: Mapping[str, Task]) -> None:
        self.ledger = ledger
        self.settings = settings
        self.tasks = dict(tasks)
        self.name = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:64]
        self.stopping = threading.Event()
        self._woken = threading.Event()

    def wake(self) -> None:
        """Look for work now rather than at the next poll."""
        self._woken.set()

    def stop(self) -> None:
        self.stopping.set()
        self._woken.set()

    def run(self, *, burst: bool = False) -> None:
        log.info("jobs: worker %s started", self.name)
        _running.add(self)
        try:
            while not self.stopping.is_set():
                self.recover()
                self.queue_periodic()
                if self.run_one():
                    continue
                if burst:
                    return
                self._woken.wait(self.settings.jobs_poll_seconds)
                self._woken.clear()
        finally:
            _running.discard(self)

    # ------------------------------------------------------------------ one job

    def run_one(self) -> bool:
        """Claim and run the next job that is due; whether there was one."""
        now = self.ledger.clock()
        with self.ledger.engine.begin() as connection:
            due = (
                sa.select(jobs.c.id)
                .where(jobs.c.status == "todo", jobs.c.run_after <= now)
                .order_by(jobs.c.run_after, jobs.c.id)
                .limit(1)
                .scalar_subquery()
            )
            claimed = connection.execute(
                jobs.update()
                .where(jobs.c.id == due, jobs.c.status == "todo")
                .values(
                    status="doing",
                    attempts=jobs.c.attempts + 1,
                    started_at=now,
                    heartbeat_at=now,
                    worker=self.name,
                )
                .returning(jobs.c.id, jobs.c.task, jobs.c.args, jobs.c.attempts)
            ).first()
        if claimed is None:
            return False
        self._run(claimed.id, claimed.task, dict(claimed.args), claimed.attempts)
        return True

    def _run(self, job_id: int, name: str, args: dict[str, Any], attempt: int) -> None:
        task = self.tasks.get(name)
        if task is None:
            self._failed(job_id, attempt, f"no task named {name!r} in this worker", final=True)
            return
        beating = threading.Event()
        heart = threading.Thread(target=self._beat, args=(job_id, beating), daemon=True)
        heart.start()
        try:
            task(Context(self.ledger, self.settings, job_id, attempt), **args)
        except Exception as error:  # a job's failure is recorded, never the worker's end
            log.warning(
                "jobs: %s[%s] attempt %s failed: %s", name, job_id, attempt, type(error).__name__
            )
            self._failed(job_id, attempt, reason(error), final=attempt >= task.attempts, task=task)
        else:
            self._finish(job_id, status="succeeded")
        finally:
            beating.set()
            heart.join()

    def _beat(self, job_id: int, done: threading.Event) -> None:
        interval = max(self.settings.jobs_stall_seconds / 3, 0.2)
        while not done.wait(interval):
            with self.ledger.engine.begin() as connection:
                connection.execute(
                    jobs.update()
                    .where(jobs.c.id == job_id, jobs.c.worker == self.name)
                    .values(heartbeat_at=self.ledger.clock())
                )

    def _finish(self, job_id: int, **values: Any) -> None:
        with self.ledger.engine.begin() as connection:
            connection.execute(
                jobs.update()
                .where(jobs.c.id == job_id, jobs.c.worker == self.name)
                .values(finished_at=self.ledger.clock(), heartbeat_at=None, **values)
            )

    def _failed(
        self, job_id: int, attempt: int, why: str, *, final: bool, task: Task | None = None
    ) -> None:
        now = self.ledger.clock()
        with self.ledger.engine.begin() as connection:
            connection.execute(
                job_errors.insert().values(job_id=job_id, attempt=attempt, at=now, reason=why)
            )
            values: dict[str, Any] = {"status": "dead", "finished_at": now, "heartbeat_at": None}
            if not final and task is not None:
                wait = dt.timedelta(seconds=task.backoff**attempt)
                values = {"status": "todo", "run_after": now + wait, "heartbeat_at": None}
            connection.execute(jobs.update().where(jobs.c.id == job_id).values(**values))

    # ------------------------------------------------------------------ housekeeping

    def recover(self) -> int:
        """Queue again the jobs of workers that stopped beating; how many."""
        now = self.ledger.clock()
        stale = now - dt.timedelta(seconds=self.settings.jobs_stall_seconds)
        with self.ledger.engine.begin() as connection:
            rows = connection.execute(
                sa.select(jobs.c.id, jobs.c.task, jobs.c.attempts).where(
                    jobs.c.status == "doing", jobs.c.heartbeat_at < stale
                )
            ).all()
            for row in rows:
                task = self.tasks.get(row.task)
                dead = task is None or row.attempts >= task.attempts
                connection.execute(
                    job_errors.insert().values(
                        job_id=row.id, attempt=row.attempts, at=now, reason="its worker stopped"
                    )
                )
                connection.execute(
                    jobs.update()
                    .where(jobs.c.id == row.id, jobs.c.status == "doing")
                    .values(
                        status="dead" if dead else "todo",
                        run_after=now,
                        heartbeat_at=None,
                        finished_at=now if dead else None,
                    )
                )
        if rows:
            log.warning("jobs: %s job(s) of a stopped worker queued again", len(rows))
        return len(rows)

    def queue_periodic(self) -> None:
        """Queue each periodic task once per period (once in all, however many workers)."""
        now = self.ledger.clock()
        with self.ledger.engine.begin() as connection:
            for task in self.tasks.values():
                period = task.period(self.settings)
                if period is None:
                    continue
                tick = int(now.timestamp()) // period * period
                insert = (
                    sqlite.insert(jobs)
                    .values(
                        task=task.name,
                        args={},
                        status="todo",
                        attempts=0,
                        run_after=now,
                        created_at=now,
                        periodic_key=f"{task.name}@{tick}",
                    )
                    .on_conflict_do_nothing(index_elements=["periodic_key"])
                )
                connection.execute(insert)


def forget(ledger: Ledger, older_than: dt.timedelta) -> int:
    """Delete succeeded jobs finished longer ago than ``older_than``; how many."""
    cutoff = ledger.clock() - older_than
    with ledger.engine.begin() as connection:
        done = connection.execute(
            jobs.delete().where(jobs.c.status == "succeeded", jobs.c.finished_at < cutoff)
        )
    return done.rowcount or 0
