"""Alembic environment: runs on the connection ``keepfaith.ledger.migrate`` passes in."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from keepfaith.ledger.migrate import all_tables, compared

target_metadata = all_tables()


def run(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=compared(connection.dialect.name),
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    engine = sa.create_engine(context.config.get_main_option("sqlalchemy.url") or "sqlite://")
    with engine.begin() as fresh:
        run(fresh)
else:
    run(connection)
