"""Tasks the jobs tests run, in workers of this process and of child processes alike.

Each run leaves an audit entry (``ran job KEY``), so a test counts how often a job's body
ran to its end from the ledger itself.
"""

from __future__ import annotations

import time
from pathlib import Path

from keepfaith.jobs import Context, task

MODULE = __name__


def ran(context: Context, key: str) -> None:
    with context.ledger.transaction(actor="job") as tx:
        tx.audit("ran", "job", key, details={"attempt": context.attempt})


@task("tests.record")
def record(context: Context, key: str, pause: float = 0.0) -> None:
    time.sleep(pause)
    ran(context, key)


@task("tests.flaky", attempts=3, backoff=3)
def flaky(context: Context, key: str, failures: int) -> None:
    if context.attempt <= failures:
        raise RuntimeError(f"attempt {context.attempt} fails on purpose")
    ran(context, key)


@task("tests.broken", attempts=2, backoff=1)
def broken(context: Context, key: str) -> None:
    raise ValueError("the remote end refused")


@task("tests.slow_once")
def slow_once(context: Context, key: str, marker: str) -> None:
    """The first run starts, says so, and hangs (to be killed); later runs finish."""
    path = Path(marker)
    first = not path.exists()
    with path.open("a", encoding="utf-8") as out:
        out.write("start\n")
    if first:
        time.sleep(120)
    ran(context, key)
