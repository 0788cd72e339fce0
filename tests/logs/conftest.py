"""Fixtures for the log tests: a migrated ledger, and the real Apache log read in place."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from keepfaith.ledger import Ledger

__all__ = ["make_app", "make_client", "portal"]  # the web app's fixtures, for the dashboard
from tests.logs.support import REAL_LOG
from tests.web.conftest import make_app, make_client, portal


@pytest.fixture
def ledger(database_url: str) -> Iterator[Ledger]:
    ledger = Ledger(database_url)
    ledger.migrate()
    yield ledger
    ledger.close()


@pytest.fixture(scope="session")
def real_lines() -> list[str]:
    return REAL_LOG.read_text(encoding="utf-8").splitlines()
