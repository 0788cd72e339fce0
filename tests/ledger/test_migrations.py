"""Migrations form one line of revisions, upgrade and downgrade step by step, and leave
exactly the tables the code declares (Alembic's autogenerate finds no difference)."""

from __future__ import annotations

import itertools

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from keepfaith.ledger import Ledger
from keepfaith.ledger.migrate import (
    HEAD,
    all_tables,
    compared,
    config,
    downgrade,
    tables_for,
    upgrade,
)

PROCRASTINATE = {
    "procrastinate_events",
    "procrastinate_jobs",
    "procrastinate_periodic_defers",
    "procrastinate_workers",
}


def tables(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}


def line() -> list[str]:
    """The revisions from the first to the head, in order."""
    script = ScriptDirectory.from_config(config())
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def current(engine: sa.Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def procrastinate_objects(engine: sa.Engine) -> int:
    """procrastinate's functions and types left in the ledger's schema (PostgreSQL)."""
    with engine.connect() as connection:
        return int(
            connection.execute(
                sa.text(
                    "SELECT (SELECT count(*) FROM pg_proc WHERE proname LIKE 'procrastinate%' "
                    "AND pronamespace = current_schema()::regnamespace) + (SELECT count(*) "
                    "FROM pg_type WHERE typname LIKE 'procrastinate%' "
                    "AND typnamespace = current_schema()::regnamespace)"
                )
            ).scalar_one()
        )


def test_the_revisions_form_one_line() -> None:
    script = ScriptDirectory.from_config(config())
    assert len(script.get_heads()) == 1 and len(script.get_bases()) == 1
    revisions = line()
    for before, revision in itertools.pairwise(revisions):
        assert script.get_revision(revision).down_revision == before
    numbers = [int(revision.split("_")[0]) for revision in revisions]
    assert numbers == list(range(1, len(numbers) + 1))
    assert script.get_current_head() == HEAD  # the short cut of a ledger already at it


def test_a_ledger_at_the_head_is_left_alone_and_one_behind_is_upgraded(database_url: str) -> None:
    ledger = Ledger(database_url)
    before_head = line()[-2]
    upgrade(ledger.engine, before_head)
    ledger.migrate()
    assert current(ledger.engine) == HEAD
    ledger.migrate()  # at the head: nothing to do, and no error
    assert current(ledger.engine) == HEAD
    assert tables(ledger.engine) >= tables_for(ledger.engine.dialect.name)
    ledger.close()


def test_upgrade_and_downgrade_step_by_step(database_url: str) -> None:
    ledger = Ledger(database_url)
    dialect = ledger.engine.dialect.name
    seen: list[set[str]] = [tables(ledger.engine)]
    for revision in line():
        upgrade(ledger.engine, revision)
        assert current(ledger.engine) == revision
        seen.append(tables(ledger.engine))
    queue = PROCRASTINATE if dialect == "postgresql" else set()
    assert seen[-1] == tables_for(dialect) | queue
    with ledger.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": compared(dialect)})
        differences = compare_metadata(context, all_tables())
    assert differences == []
    for revision, before in zip(reversed(line()), reversed(seen[:-1]), strict=True):
        assert current(ledger.engine) == revision
        downgrade(ledger.engine, "-1")
        assert tables(ledger.engine) == before
    assert current(ledger.engine) is None and tables(ledger.engine) == set()
    if dialect == "postgresql":
        assert procrastinate_objects(ledger.engine) == 0
    ledger.migrate()
    assert tables(ledger.engine) == tables_for(dialect) | queue
    ledger.close()


def test_entries_from_before_sealing_are_kept_checked_and_sealed(database_url: str) -> None:
    """The upgrade keeps old chained entries (lane ``legacy-chain``); verify checks them
    by their chain, the first seal covers them; the downgrade rebuilds a valid chain."""
    from keepfaith.ledger import audit

    ledger = Ledger(database_url, audit_key="YXVkaXQta2V5LWZvci10ZXN0cy1vbmx5LW5ldmVyLXJlYWw=")
    upgrade(ledger.engine, "0007_allowances")  # the last revision before sealing
    previous, rows = audit.GENESIS, []
    for position in (1, 2, 3):
        content = {
            "at": f"2024-01-0{position}T00:00:00.000000Z",
            "tenant": "acme",
            "actor": "system",
            "action": "add",
            "object": "subject",
            "object_id": str(position),
            "details": "{}",
        }
        entry = audit.AuditEntry(
            position=position, lane="", lane_seq=0, mac="", seal=None, **content
        )
        digest = audit.legacy_hash(position, entry, previous)
        rows.append({**content, "position": position, "previous": previous, "hash": digest})
        previous = digest
    with ledger.engine.begin() as connection:
        table = sa.Table("audit_entries", sa.MetaData(), autoload_with=connection)
        connection.execute(table.insert(), rows)
        head = sa.Table("audit_head", sa.MetaData(), autoload_with=connection)
        connection.execute(head.insert().values(id=1, position=3, hash=previous))
    ledger.migrate()
    assert [e.lane for e in ledger.audit_entries()] == [audit.LEGACY_LANE] * 3
    assert ledger.verify_audit() == 3
    with ledger.transaction() as tx:
        tx.audit("test", "nothing")
    assert ledger.audit_entries()[-1].position == 4
    ledger.seal_audit()
    assert ledger.verify_audit() == 4
    downgrade(ledger.engine, "0001_ledger")
    with ledger.engine.connect() as connection:
        chain = connection.execute(sa.text("SELECT * FROM audit_entries ORDER BY position")).all()
        head_hash = connection.execute(sa.text("SELECT hash FROM audit_head")).scalar_one()
    assert [row.position for row in chain] == [1, 2, 3, 4]
    assert chain[0].hash == rows[0]["hash"] and head_hash == chain[-1].hash
    ledger.close()
