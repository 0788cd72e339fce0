"""Background jobs: work that outlives a request, written in the transaction that needs it.

Declare a task in the module of its concern, and defer it inside a unit of work::

    from keepfaith import jobs

    @jobs.task("logs.ingest", attempts=5)
    def ingest(context: jobs.Context, path: str, tenant: str) -> None:
        ...  # context.ledger, context.settings, context.job_id, context.attempt

    with ledger.transaction() as tx:
        ...                                   # the change that needs the work
        jobs.defer(tx, ingest, path="/var/log/access.log", tenant="acme")

The job exists exactly when the transaction commits. A task must be idempotent: a worker
killed mid-job leaves it to run again. Arguments are JSON, and ids rather than personal
values (staff see them in ``keepfaith jobs list``). Periodic tasks take ``every=SECONDS``.

On SQLite the queue is keepfaith's ``jobs`` table, run by an in-process worker that
``keepfaith serve`` starts (and ``keepfaith jobs work`` runs alone); on PostgreSQL it is
procrastinate's, run by ``keepfaith jobs work`` processes, as many as you like. Add the
module of a new concern's tasks to ``keepfaith.jobs.registry.MODULES``. See docs/jobs.md.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable
from typing import Any

from keepfaith.exceptions import Refused
from keepfaith.jobs.listing import STATUSES, Job, list_jobs
from keepfaith.jobs.registry import Context, Task, load, task
from keepfaith.ledger import Ledger, Transaction, statements
from keepfaith.settings import Settings

__all__ = [
    "STATUSES",
    "Context",
    "Job",
    "Task",
    "defer",
    "each_tenant",
    "forget",
    "list_jobs",
    "load",
    "start_worker",
    "task",
    "work",
]


def defer(tx: Transaction, task: Task | str, **args: Any) -> int:
    """Queue ``task`` with ``args`` in the transaction ``tx``; the job's id.

    Refused if an argument is not JSON (it would not survive the queue).
    """
    name = task.name if isinstance(task, Task) else task
    try:
        json.dumps(args, allow_nan=False)
    except (TypeError, ValueError):
        raise Refused(f"the arguments of job {name!r} must be JSON values") from None
    if tx.connection.dialect.name == "postgresql":
        from keepfaith.jobs import postgres

        return postgres.defer(tx, name, args)
    from keepfaith.jobs import local

    return local.defer(tx, name, args)


def each_tenant(context: Context, actor: str, step: Callable[[Transaction, str], object]) -> None:
    """Run ``step(tx, tenant)`` for every tenant with a published statement, each in a
    unit of work of its own: a periodic job's loop, so one tenant's failure rolls back
    only its own step (the job retries)."""
    with context.ledger.reading() as tx:
        names = statements.tenants(tx)
    for tenant in names:
        with context.ledger.transaction(actor=actor) as tx:
            step(tx, tenant)


def work(ledger: Ledger, settings: Settings, *, burst: bool = False) -> None:
    """Run jobs until interrupted; with ``burst``, until none is left to run."""
    tasks = load(settings.job_modules)
    if ledger.engine.dialect.name == "postgresql":
        from keepfaith.jobs import postgres

        postgres.work(ledger, settings, tasks, burst=burst)
        return
    from keepfaith.jobs import local

    local.Worker(ledger, settings, tasks).run(burst=burst)


def start_worker(ledger: Ledger, settings: Settings) -> Any:
    """Start the in-process worker of a SQLite ledger in a thread; the worker (``stop()``)."""
    from keepfaith.jobs import local

    worker = local.Worker(ledger, settings, load(settings.job_modules))
    threading.Thread(target=worker.run, name="keepfaith-jobs", daemon=True).start()
    return worker


def forget(ledger: Ledger, older_than: dt.timedelta) -> int:
    """Delete succeeded jobs that finished longer ago than ``older_than``; how many."""
    if ledger.engine.dialect.name == "postgresql":
        from keepfaith.jobs import postgres

        return postgres.forget(ledger, older_than)
    from keepfaith.jobs import local

    return local.forget(ledger, older_than)
