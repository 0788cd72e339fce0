"""Set-based erasure on the real sample databases: nothing of the person is left, no key
breaks, holds keep what they cover, and a second run changes nothing."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from keepfaith.connectors import scan
from keepfaith.connectors.access import Plan, read
from keepfaith.connectors.datamap import DatasetMap, Erasure
from keepfaith.connectors.erasure import Keep, erase, order
from keepfaith.connectors.reflect import open_database, reflect

PAGILA_ROWS = {
    "customer": {"email": Erasure.DELETE_ROW},
    "rental": {"rental_date": Erasure.DELETE_ROW},
    "payment": {"amount": Erasure.DELETE_ROW},
}
CHINOOK_ROWS = {
    "Customer": {"Email": Erasure.DELETE_ROW},
    "Invoice": {"BillingAddress": Erasure.DELETE_ROW},
    "InvoiceLine": {"UnitPrice": Erasure.DELETE_ROW},
    "Employee": {"Email": Erasure.DELETE_ROW},
}


def with_erasure(
    dataset_map: DatasetMap,
    strategies: Mapping[str, Mapping[str, Erasure]],
    categories: Mapping[tuple[str, str], tuple[str, ...]] | None = None,
) -> DatasetMap:
    """The map with these columns' strategies (and categories) set, as staff would."""
    for table_name, columns in strategies.items():
        table = dataset_map.table(table_name)
        assert table is not None
        for name, strategy in columns.items():
            column = table.column(name)
            assert column is not None, name
            update: dict[str, object] = {"erasure": strategy}
            if categories and (table_name, name) in categories:
                update["categories"] = categories[(table_name, name)]
            dataset_map = dataset_map.replace_column(table_name, column.model_copy(update=update))
            table = dataset_map.table(table_name)
            assert table is not None
    return dataset_map


@contextmanager
def planned(
    url: str, key: str, strategies: Mapping[str, Mapping[str, Erasure]], **options: object
) -> Iterator[tuple[sa.Engine, Plan]]:
    engine = open_database(url, writable=True)
    try:
        dataset_map = with_erasure(scan(url, key).map, strategies, **options)  # type: ignore[arg-type]
        yield engine, Plan.build(dataset_map, reflect(engine))
    finally:
        engine.dispose()


def count(connection: sa.Connection, sql: str, **values: object) -> int:
    return int(connection.execute(sa.text(sql), values).scalar_one())


def test_erasing_pagila_customers_leaves_nothing_reachable_and_breaks_no_key(
    pagila_url: str,
) -> None:
    with planned(pagila_url, "pagila", PAGILA_ROWS) as (engine, plan), engine.connect() as c:
        transaction = c.begin()  # rolled back: the session's pagila stays whole
        try:
            people = list(c.execute(sa.text("SELECT customer_id, email FROM customer LIMIT 25")))
            emails = [email for _, email in people]
            statements: list[str] = []
            sa.event.listen(c, "before_cursor_execute", lambda *a: statements.append(a[2]))
            outcome = erase(c, plan, {"email": emails})
            changes = [s for s in statements if s.lstrip().startswith(("DELETE", "UPDATE"))]
            # One statement per table changed, for 25 people (and NULLs set by key).
            assert len([s for s in changes if s.startswith("DELETE")]) == len(outcome.deleted)
            assert outcome.deleted["customer"] == 25
            assert outcome.order.index("payment") < outcome.order.index("rental")
            assert outcome.order.index("rental") < outcome.order.index("customer")
            ids = [i for i, _ in people]
            for table in ("customer", "rental", "payment"):
                assert (
                    count(c, f"SELECT count(*) FROM {table} WHERE customer_id = ANY(:i)", i=ids)
                    == 0
                )
            found = read(c, plan, {"email": emails})
            assert all(not rows for rows in found.values())
            again = erase(c, plan, {"email": emails})
            assert not any(again.deleted.values()) and not any(again.changed.values())
        finally:
            transaction.rollback()


def test_a_hold_keeps_the_payments_and_says_why(pagila_url: str) -> None:
    categories = {("payment", "amount"): ("user.financial",)}
    with (
        planned(pagila_url, "pagila", PAGILA_ROWS, categories=categories) as (
            engine,
            plan,
        ),
        engine.connect() as c,
    ):
        transaction = c.begin()
        try:
            customer, email = c.execute(
                sa.text("SELECT customer_id, email FROM customer WHERE customer_id = 7")
            ).one()
            payments = count(c, "SELECT count(*) FROM payment WHERE customer_id = :c", c=customer)
            hold = Keep(
                "legal", "The law requires us to keep the information.", ("user.financial",)
            )
            outcome = erase(c, plan, {"email": [email]}, holds=[hold])
            assert outcome.kept == {
                "payment": ["legal: The law requires us to keep the information."]
            }
            assert (
                count(c, "SELECT count(*) FROM payment WHERE customer_id = :c", c=customer)
                == payments
                > 0
            )
            # The customer row stays for the kept payments' key, but no longer names them.
            left = c.execute(
                sa.text("SELECT email, first_name FROM customer WHERE customer_id = :c"),
                {"c": customer},
            ).one()
            assert email not in tuple(left)
            assert "customer" in outcome.changed and "customer" not in outcome.deleted
        finally:
            transaction.rollback()


@pytest.mark.parametrize("database", ["sqlite", "mariadb"])
def test_erasing_an_employee_detaches_the_rows_that_pointed_at_them(
    database: str, request: pytest.FixtureRequest, sqlite_copy: str
) -> None:
    url = sqlite_copy if database == "sqlite" else request.getfixturevalue("chinook_mariadb_url")
    with planned(url, "chinook", CHINOOK_ROWS) as (engine, plan), engine.connect() as c:
        if database == "sqlite":
            c.exec_driver_sql("PRAGMA foreign_keys = ON")
            c.commit()
        transaction = c.begin()
        try:
            # Employee 2 manages others (a self-reference) and is no one's support rep;
            # employee 3 is a support rep of customers.
            emails = list(
                c.execute(
                    sa.text("SELECT Email FROM Employee WHERE EmployeeId IN (2, 3)")
                ).scalars()
            )
            reports = count(c, "SELECT count(*) FROM Employee WHERE ReportsTo = 2")
            assert reports > 0
            outcome = erase(c, plan, {"email": emails})
            assert outcome.deleted["Employee"] == 2
            assert count(c, "SELECT count(*) FROM Employee WHERE ReportsTo IN (2, 3)") == 0
            assert count(c, "SELECT count(*) FROM Customer WHERE SupportRepId IN (2, 3)") == 0
            assert count(c, "SELECT count(*) FROM Customer") == 59  # no customer was lost
        finally:
            transaction.rollback()


@pytest.mark.parametrize("database", ["sqlite", "mariadb"])
def test_erasing_a_chinook_customer_removes_their_invoices_children_first(
    database: str, request: pytest.FixtureRequest, sqlite_copy: str
) -> None:
    url = sqlite_copy if database == "sqlite" else request.getfixturevalue("chinook_mariadb_url")
    with planned(url, "chinook", CHINOOK_ROWS) as (engine, plan), engine.connect() as c:
        if database == "sqlite":
            c.exec_driver_sql("PRAGMA foreign_keys = ON")
            c.commit()
        transaction = c.begin()
        try:
            email = c.execute(
                sa.text("SELECT Email FROM Customer WHERE CustomerId = 17")
            ).scalar_one()
            lines = count(
                c,
                "SELECT count(*) FROM InvoiceLine l JOIN Invoice i ON i.InvoiceId = l.InvoiceId"
                " WHERE i.CustomerId = 17",
            )
            outcome = erase(c, plan, {"email": [email]})
            assert outcome.deleted == {
                "InvoiceLine": lines,
                "Invoice": 7,
                "Customer": 1,
                "Employee": 0,
            }
            assert count(c, "SELECT count(*) FROM Invoice WHERE CustomerId = 17") == 0
            assert count(c, "SELECT count(*) FROM Track") == 3503  # shared rows stay
        finally:
            transaction.rollback()


def test_the_order_puts_every_table_before_the_tables_it_points_at(
    chinook_sqlite_url: str,
) -> None:
    with planned(chinook_sqlite_url, "chinook", CHINOOK_ROWS) as (_, plan):
        tables, closing = order(plan)
    position = {t: i for i, t in enumerate(tables)}
    for edge in plan.edges:
        if edge.child in position and edge.parent in position and edge.child != edge.parent:
            assert position[edge.child] < position[edge.parent], str(edge)
    assert ("Employee", "ReportsTo") in closing
