"""Migrations upgrade to every head, match the tables in code, and downgrade to nothing."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from keepfaith.ledger import Ledger
from keepfaith.ledger.migrate import all_tables, compared, downgrade, tables_for, upgrade

PROCRASTINATE = {
    "procrastinate_events",
    "procrastinate_jobs",
    "procrastinate_periodic_defers",
    "procrastinate_workers",
}


def tables(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}


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


def test_upgrade_matches_metadata_and_downgrade_removes_everything(database_url: str) -> None:
    ledger = Ledger(database_url)
    ledger.migrate()
    dialect = ledger.engine.dialect.name
    metadata = all_tables()
    queue = PROCRASTINATE if dialect == "postgresql" else set()
    assert tables(ledger.engine) == tables_for(dialect) | queue
    with ledger.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": compared(dialect)})
        differences = compare_metadata(context, metadata)
    assert differences == []
    downgrade(ledger.engine)
    assert tables(ledger.engine) == set()
    if dialect == "postgresql":
        assert procrastinate_objects(ledger.engine) == 0
    upgrade(ledger.engine)
    assert tables(ledger.engine) == tables_for(dialect) | queue
    ledger.close()
