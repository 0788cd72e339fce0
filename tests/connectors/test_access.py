"""Access through the connectors: one query per table, and exactly the person's rows.

Each database is the real sample (pagila on PostgreSQL, chinook on SQLite and MariaDB);
the map is the scanner's proposal; the rows are checked against a query written here by
hand, independent of the traversal.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa

from keepfaith.connectors import scan
from keepfaith.connectors.access import Plan, read
from keepfaith.connectors.reflect import open_database, reflect
from keepfaith.exceptions import InvalidSubmission


@contextmanager
def plan_of(url: str, key: str) -> Iterator[tuple[sa.Engine, Plan]]:
    """The database's engine and the plan of the scanner's map; disposed after."""
    engine = open_database(url)
    try:
        yield engine, Plan.build(scan(url, key).map, reflect(engine))
    finally:
        engine.dispose()


def ids(rows: list[dict[str, Any]], key: str) -> set[Any]:
    return {row[key] for row in rows}


def count_queries(engine: sa.Engine) -> list[str]:
    seen: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


def test_a_pagila_customer_gets_exactly_their_rows(pagila_url: str) -> None:
    with plan_of(pagila_url, "pagila") as (engine, plan), engine.connect() as connection:
        email, customer = connection.execute(
            sa.text(
                "SELECT email, customer_id FROM customer ORDER BY customer_id LIMIT 1 OFFSET 41"
            )
        ).one()
        expected = {
            "rental": set(
                connection.execute(
                    sa.text("SELECT rental_id FROM rental WHERE customer_id = :c"), {"c": customer}
                ).scalars()
            ),
            "payment": set(
                connection.execute(
                    sa.text("SELECT payment_id FROM payment WHERE customer_id = :c"),
                    {"c": customer},
                ).scalars()
            ),
            "address": set(
                connection.execute(
                    sa.text("SELECT address_id FROM customer WHERE customer_id = :c"),
                    {"c": customer},
                ).scalars()
            ),
        }
        queries = count_queries(engine)
        found = read(connection, plan, {"email": [email]})
    assert ids(found["customer"], "customer_id") == {customer}
    assert ids(found["rental"], "rental_id") == expected["rental"] != set()
    assert ids(found["payment"], "payment_id") == expected["payment"] != set()
    assert ids(found["address"], "address_id") == expected["address"]
    # One query per table an email can reach, whatever the number of rows.
    assert len(queries) == len(plan.selections({"email": [email]})) >= 4
    # A shared row does not lead on to other people: one customer only.
    assert len(found["customer"]) == 1


def test_many_people_cost_the_same_number_of_queries(pagila_url: str) -> None:
    with plan_of(pagila_url, "pagila") as (engine, plan), engine.connect() as connection:
        emails = list(connection.execute(sa.text("SELECT email FROM customer LIMIT 50")).scalars())
        queries = count_queries(engine)
        found = read(connection, plan, {"email": emails})
    assert len(found["customer"]) == 50
    assert len(queries) == len(plan.selections({"email": emails}))


@pytest.mark.parametrize("database", ["sqlite", "mariadb"])
def test_a_chinook_customer_gets_exactly_their_invoices(
    database: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue(f"chinook_{database}_url")
    with plan_of(url, "chinook") as (engine, plan), engine.connect() as connection:
        email, customer = connection.execute(
            sa.text("SELECT Email, CustomerId FROM Customer WHERE CustomerId = 17")
        ).one()
        invoices = set(
            connection.execute(
                sa.text("SELECT InvoiceId FROM Invoice WHERE CustomerId = :c"), {"c": customer}
            ).scalars()
        )
        lines = set(
            connection.execute(
                sa.text(
                    "SELECT l.InvoiceLineId FROM InvoiceLine l JOIN Invoice i"
                    " ON i.InvoiceId = l.InvoiceId WHERE i.CustomerId = :c"
                ),
                {"c": customer},
            ).scalars()
        )
        found = read(connection, plan, {"email": [email]})
    assert ids(found["Customer"], "CustomerId") == {customer}
    assert ids(found["Invoice"], "InvoiceId") == invoices != set()
    assert ids(found["InvoiceLine"], "InvoiceLineId") == lines != set()
    assert found["Employee"] == []  # a customer's address finds no employee


def test_an_unknown_address_reads_nothing(chinook_sqlite_url: str) -> None:
    with plan_of(chinook_sqlite_url, "chinook") as (engine, plan), engine.connect() as connection:
        found = read(connection, plan, {"email": ["nobody@example.com"]})
    assert all(rows == [] for rows in found.values())


@pytest.mark.parametrize("value", ["a\0b@example.com", "x" * 2000])
def test_an_identity_no_database_holds_is_refused_by_field(
    chinook_sqlite_url: str, value: str
) -> None:
    with (
        plan_of(chinook_sqlite_url, "chinook") as (engine, plan),
        engine.connect() as connection,
        pytest.raises(InvalidSubmission) as error,
    ):
        read(connection, plan, {"email": [value]})
    assert set(error.value.errors) == {"email"}
