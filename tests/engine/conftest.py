"""Fixtures of the engine tests: a ledger with two tenants published, and an engine."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from keepfaith.engine import Engine
from keepfaith.ledger import Keyring, Ledger, statements
from tests.ledger.support import KEY, MINIMAL, RULES, Clock, open_ledger


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ledger(database_url: str, clock: Clock) -> Iterator[Ledger]:
    """Tenants ``acme`` (minimal.yaml) and ``rules`` (fixtures/rules.yaml), published."""
    opened, _ = open_ledger(database_url, [MINIMAL, RULES], keys=Keyring({"k1": KEY}), clock=clock)
    yield opened
    opened.close()


@pytest.fixture
def engine(ledger: Ledger) -> Engine:
    with ledger.transaction() as tx:
        published = [statements.get(tx, "acme"), statements.get(tx, "rules")]
    return Engine(ledger, published)
