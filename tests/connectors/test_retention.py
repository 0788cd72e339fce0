"""Retention on the real sample databases: rows older than the cutoff go with the rows
pointing at them, fresh rows stay, a held person's rows stay, no foreign key breaks."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from keepfaith.connectors.access import Plan
from keepfaith.connectors.datamap import DatasetMap
from keepfaith.connectors.retention import expire
from tests.connectors.test_erasure import CHINOOK_ROWS, PAGILA_ROWS, count, planned

# (fixture, key, strategies, start table, start column, its key, child table, child key)
CASES = {
    "chinook_sqlite_url": (
        "chinook",
        CHINOOK_ROWS,
        "Invoice",
        "InvoiceDate",
        "InvoiceId",
        "InvoiceLine",
        "CustomerId",
        "Email",
        "Customer",
    ),
    "chinook_mariadb_url": (
        "chinook",
        CHINOOK_ROWS,
        "Invoice",
        "InvoiceDate",
        "InvoiceId",
        "InvoiceLine",
        "CustomerId",
        "Email",
        "Customer",
    ),
    "pagila_url": (
        "pagila",
        PAGILA_ROWS,
        "rental",
        "rental_date",
        "rental_id",
        "payment",
        "customer_id",
        "email",
        "customer",
    ),
}


def with_retention(plan: Plan, table: str, column: str) -> Plan:
    dataset_map: DatasetMap = plan.dataset_map
    tables = tuple(
        t.model_copy(update={"retention_column": column}) if t.name == table else t
        for t in dataset_map.tables
    )
    return Plan.build(dataset_map.model_copy(update={"tables": tables}), plan.schema)


@pytest.mark.parametrize("fixture", sorted(CASES))
def test_expired_rows_go_fresh_and_held_rows_stay(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    key, rows, table, column, pk, child, person, email, people = CASES[fixture]
    url = request.getfixturevalue(fixture)
    with planned(url, key, rows) as (engine, plan), engine.connect() as c:
        transaction = c.begin()  # rolled back: the session's database stays whole
        try:
            plan = with_retention(plan, table, column)
            dates = sorted(
                r[0]
                for r in c.execute(
                    sa.text(
                        f'SELECT "{column}" FROM "{table}"'
                        if c.dialect.name != "mysql" and c.dialect.name != "mariadb"
                        else f"SELECT `{column}` FROM `{table}`"
                    )
                )
            )
            cutoff = dates[len(dates) // 2]
            cutoff = (
                cutoff
                if isinstance(cutoff, dt.datetime)
                else dt.datetime.fromisoformat(str(cutoff))
            )
            cutoff = cutoff if cutoff.tzinfo else cutoff.replace(tzinfo=dt.UTC)
            q = (
                (lambda n: f"`{n}`")
                if c.dialect.name in {"mysql", "mariadb"}
                else (lambda n: f'"{n}"')
            )
            stamp = cutoff if c.dialect.name == "postgresql" else cutoff.replace(tzinfo=None)
            held_id, held_email = c.execute(
                sa.text(
                    f"SELECT p.{q(person)}, p.{q(email)} FROM {q(people)} p WHERE EXISTS (SELECT 1 "
                    f"FROM {q(table)} t WHERE t.{q(person)} = p.{q(person)} AND t.{q(column)} < :d)"
                    f" ORDER BY p.{q(person)} LIMIT 1"
                ),
                {"d": stamp},
            ).one()
            old_held = count(
                c,
                f"SELECT count(*) FROM {q(table)} WHERE {q(column)} < :d AND {q(person)} = :p",
                d=stamp,
                p=held_id,
            )
            fresh = count(c, f"SELECT count(*) FROM {q(table)} WHERE {q(column)} >= :d", d=stamp)
            fresh_children = count(
                c,
                f"SELECT count(*) FROM {q(child)} x WHERE x.{q(pk)} IN "
                f"(SELECT {q(pk)} FROM {q(table)} WHERE {q(column)} >= :d)",
                d=stamp,
            )
            outcome = expire(c, plan, {table: cutoff}, held={"email": [held_email]})
            assert outcome.deleted[table] > 0
            assert outcome.order.index(child) < outcome.order.index(table)
            # Only the held person's old rows remain before the cutoff.
            assert count(c, f"SELECT count(*) FROM {q(table)} WHERE {q(column)} < :d", d=stamp) == (
                old_held
            )
            assert old_held > 0
            assert count(
                c, f"SELECT count(*) FROM {q(table)} WHERE {q(column)} >= :d", d=stamp
            ) == (fresh)
            assert count(
                c,
                f"SELECT count(*) FROM {q(child)} x WHERE x.{q(pk)} IN "
                f"(SELECT {q(pk)} FROM {q(table)} WHERE {q(column)} >= :d)",
                d=stamp,
            ) == (fresh_children)
            # No child row points at a row that is gone.
            assert (
                count(
                    c,
                    f"SELECT count(*) FROM {q(child)} x WHERE x.{q(pk)} IS NOT NULL "
                    f"AND NOT EXISTS (SELECT 1 FROM {q(table)} t WHERE t.{q(pk)} = x.{q(pk)})",
                )
                == 0
            )
            again = expire(c, plan, {table: cutoff}, held={"email": [held_email]})
            assert not any(again.deleted.values())
        finally:
            transaction.rollback()
