"""Fixtures of the jobs tests: a migrated ledger on the real clock, and its settings."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from keepfaith.ledger import Ledger, statements
from keepfaith.settings import Settings
from tests.jobs import tasks
from tests.ledger.support import AUDIT_KEY, MINIMAL


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        audit_key=AUDIT_KEY,
        job_modules=(tasks.MODULE,),
        jobs_stall_seconds=2,
        jobs_poll_seconds=0.2,
    )


@pytest.fixture
def ledger(settings: Settings) -> Iterator[Ledger]:
    """A migrated ledger (backoff and heartbeats need the real clock) with acme published."""
    import keepfaith

    opened = Ledger.from_settings(settings)
    opened.migrate()
    with opened.transaction() as tx:
        statements.publish(tx, keepfaith.load(MINIMAL), MINIMAL.read_text(encoding="utf-8"))
    yield opened
    opened.close()
