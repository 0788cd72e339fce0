"""A migrated ledger with the minimal statement published, for collection tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from keepfaith.ledger import Keyring, Ledger, generate_key, statements
from keepfaith.statement import Statement, load
from tests.conftest import FIXTURES

SECRET = "test secret key, long enough and random enough for tests"
NOW = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def statement() -> Statement:
    return load(FIXTURES / "minimal.yaml")


@pytest.fixture
def ledger(database_url: str, statement: Statement) -> Iterator[Ledger]:
    keys = Keyring({"k1": generate_key()}, "k1")
    with Ledger(database_url, keys=keys) as opened:
        opened.migrate()
        with opened.transaction() as tx:
            statements.publish(tx, statement)
        yield opened


def with_changes(statement: Statement, **changes: object) -> Statement:
    """A copy of ``statement`` with top-level sections replaced (version bumped)."""
    return statement.model_copy(update=changes)
