"""Migrations form one line of revisions, upgrade and downgrade step by step, and leave
exactly the tables the code declares (Alembic's autogenerate finds no difference)."""

from __future__ import annotations

import itertools

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from keepfaith.ledger import Ledger
from keepfaith.ledger.migrate import all_tables, config, downgrade, upgrade


def tables(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}


def line() -> list[str]:
    """The revisions from the first to the head, in order."""
    script = ScriptDirectory.from_config(config())
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def current(engine: sa.Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_the_revisions_form_one_line() -> None:
    script = ScriptDirectory.from_config(config())
    assert len(script.get_heads()) == 1 and len(script.get_bases()) == 1
    revisions = line()
    for before, revision in itertools.pairwise(revisions):
        assert script.get_revision(revision).down_revision == before
    numbers = [int(revision.split("_")[0]) for revision in revisions]
    assert numbers == list(range(1, len(numbers) + 1))


def test_upgrade_and_downgrade_step_by_step(database_url: str) -> None:
    ledger = Ledger(database_url)
    seen: list[set[str]] = [tables(ledger.engine)]
    for revision in line():
        upgrade(ledger.engine, revision)
        assert current(ledger.engine) == revision
        seen.append(tables(ledger.engine))
        assert seen[-1] >= seen[-2]  # each step adds or alters, never loses a table
    metadata = all_tables()
    assert seen[-1] == set(metadata.tables)
    with ledger.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []
    for revision, before in zip(reversed(line()), reversed(seen[:-1]), strict=True):
        assert current(ledger.engine) == revision
        downgrade(ledger.engine, "-1")
        assert tables(ledger.engine) == before
    assert current(ledger.engine) is None and tables(ledger.engine) == set()
    ledger.migrate()
    assert tables(ledger.engine) == set(metadata.tables)
    ledger.close()
