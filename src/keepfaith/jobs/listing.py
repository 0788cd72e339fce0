"""Jobs as staff see them (``keepfaith jobs list``, ``/admin/jobs``), on either queue."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa

from keepfaith.clock import utc
from keepfaith.ledger import Ledger
from keepfaith.ledger.queue import job_errors, jobs

STATUSES = ("todo", "doing", "succeeded", "dead", "cancelled")
"""A job's states: waiting to run, running, done, given up (with the reason), cancelled."""

_PROCRASTINATE = {
    "todo": "todo",
    "doing": "doing",
    "succeeded": "succeeded",
    "failed": "dead",
    "cancelled": "cancelled",
    "aborting": "doing",
    "aborted": "cancelled",
}


@dataclass(frozen=True)
class Job:
    """One job: what it runs, its state, how many runs it had, and why the last failed."""

    id: int
    task: str
    args: dict[str, Any]
    status: str
    attempts: int
    scheduled_at: dt.datetime | None
    reason: str | None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["scheduled_at"] = self.scheduled_at.isoformat() if self.scheduled_at else None
        return data


def list_jobs(ledger: Ledger, status: str | None = None, limit: int = 100) -> list[Job]:
    """The newest jobs first (of one status, if given), each with its last failure."""
    with ledger.reader.connect() as connection:
        if connection.dialect.name == "postgresql":
            rows = _procrastinate_rows(connection, status, limit)
        else:
            rows = _sqlite_rows(connection, status, limit)
        reasons = _reasons(connection, [row[0] for row in rows])
    return [
        Job(
            id,
            task,
            dict(args or {}),
            state,
            attempts,
            utc(when) if when else None,
            reasons.get(id),
        )
        for id, task, args, state, attempts, when in rows
    ]


def _sqlite_rows(connection: sa.Connection, status: str | None, limit: int) -> list[Any]:
    query = sa.select(
        jobs.c.id, jobs.c.task, jobs.c.args, jobs.c.status, jobs.c.attempts, jobs.c.run_after
    )
    if status is not None:
        query = query.where(jobs.c.status == status)
    return [tuple(row) for row in connection.execute(query.order_by(jobs.c.id.desc()).limit(limit))]


def _procrastinate_rows(connection: sa.Connection, status: str | None, limit: int) -> list[Any]:
    wanted = [name for name, ours in _PROCRASTINATE.items() if status in (None, ours)]
    rows = connection.execute(
        sa.text(
            "SELECT id, task_name, args, status::text, attempts, scheduled_at "
            "FROM procrastinate_jobs WHERE status::text = ANY(:wanted) "
            "ORDER BY id DESC LIMIT :limit"
        ),
        {"wanted": wanted, "limit": limit},
    )
    # procrastinate counts finished runs; staff count runs, the one under way included.
    return [
        (id, task, args, _PROCRASTINATE[state], attempts + (state in ("doing", "aborting")), when)
        for id, task, args, state, attempts, when in rows
    ]


def _reasons(connection: sa.Connection, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = connection.execute(
        sa.select(job_errors.c.job_id, job_errors.c.reason)
        .where(job_errors.c.job_id.in_(ids))
        .order_by(job_errors.c.job_id, job_errors.c.id)
    )
    return {job_id: why for job_id, why in rows}  # the last one of each job wins
