"""Migrations upgrade to every head, match the tables in code, and downgrade to nothing."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from keepfaith.ledger import Ledger
from keepfaith.ledger.migrate import all_tables, downgrade, upgrade


def tables(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}


def test_upgrade_matches_metadata_and_downgrade_removes_everything(database_url: str) -> None:
    ledger = Ledger(database_url)
    ledger.migrate()
    metadata = all_tables()
    assert tables(ledger.engine) == set(metadata.tables)
    with ledger.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []
    downgrade(ledger.engine)
    assert tables(ledger.engine) == set()
    upgrade(ledger.engine)
    assert tables(ledger.engine) == set(metadata.tables)
    ledger.close()
