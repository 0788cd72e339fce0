"""Helpers shared by the ledger and engine tests: a controllable clock, an open ledger."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa

import keepfaith
from keepfaith.ledger import Keyring, Ledger, statements
from keepfaith.statement import Statement

HERE = Path(__file__).resolve().parent
MINIMAL = HERE.parent / "statement" / "fixtures" / "minimal.yaml"
RULES = HERE.parent / "engine" / "fixtures" / "rules.yaml"
KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
"""A fixed test key (base64 of 32 ASCII bytes); never use a key like this for real."""
AUDIT_KEY = "YXVkaXQta2V5LWZvci10ZXN0cy1vbmx5LW5ldmVyLXJlYWw="
"""A fixed audit key for tests (base64 of 32 ASCII bytes); the ledger tests seal with it."""
START = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)
Result = TypeVar("Result")


class Clock:
    """A clock tests move by hand."""

    def __init__(self, now: dt.datetime = START) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


def open_ledger(
    database_url: str,
    paths: Iterable[Path] = (MINIMAL,),
    *,
    keys: Keyring | None = None,
    clock: Clock | None = None,
) -> tuple[Ledger, list[Statement]]:
    """A migrated ledger with the statements in ``paths`` published."""
    ledger = Ledger(database_url, keys=keys, clock=clock or Clock(), audit_key=AUDIT_KEY)
    ledger.migrate()
    loaded = []
    with ledger.transaction() as tx:
        for path in paths:
            statement = keepfaith.load(path)
            statements.publish(tx, statement, path.read_text(encoding="utf-8"))
            loaded.append(statement)
    return ledger, loaded


def stored_bytes(ledger: Ledger, database_kind: str) -> bytes:
    """Everything the ledger stored: the raw files on SQLite, every record row on PostgreSQL."""
    ledger.close()
    if database_kind == "sqlite":
        path = Path(ledger.engine.url.database or "")
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    with ledger.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT * FROM records")).all()
    return repr(rows).encode()


def read(ledger: Ledger, function: Callable[..., Result], *args: Any, **kwargs: Any) -> Result:
    """``function(tx, *args, **kwargs)`` in a unit of work of its own, for reads."""
    with ledger.reading() as tx:
        return function(tx, *args, **kwargs)


def write(ledger: Ledger, function: Callable[..., Result], *args: Any, **kwargs: Any) -> Result:
    """``function(tx, *args, **kwargs)`` in a unit of work of its own, committed."""
    with ledger.transaction(actor="test") as tx:
        return function(tx, *args, **kwargs)
