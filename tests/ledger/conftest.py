"""Fixtures of the ledger tests: a migrated ledger on this run's database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from keepfaith.ledger import Keyring, Ledger
from tests.ledger.support import KEY, Clock, open_ledger


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ledger(database_url: str, clock: Clock) -> Iterator[Ledger]:
    """A migrated ledger with the minimal statement (tenant ``acme``) published."""
    opened, _ = open_ledger(database_url, keys=Keyring({"k1": KEY}), clock=clock)
    yield opened
    opened.close()
