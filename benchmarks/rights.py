"""Benchmark of rights requests on pagila in PostgreSQL: access end to end, and erasure
set-based against Fides' per-row strategy.

    python -m benchmarks.rights                  # 1,000 access requests; 10,000 erased
    python -m benchmarks.rights --quick          # 200 and 1,000, a smoke run

pagila is loaded into a fresh PostgreSQL database (psql), read in place from
``../shared/data/databases``; the map is the scanner's proposal, with the erasure
strategies staff would set (mask or null every personal column, as Fides' masking
policies do: neither deletes rows here, so both do the same work).

- Access: one person's request end to end as the ``rights.run`` job and the download do
  it: the traversal of every table an email reaches (one query per table) and the export
  zip (JSON and CSV per table, the HTML summary) built in memory, for 1,000 requests
  (pagila has 599 customers: they are taken in turn). p50 and p99.
- Erasure: pagila's customers are copied, with their rentals and payments, into 10,000
  more customers. keepfaith erases all of them with ``connectors.erasure.erase``: one
  statement per table, in one transaction (rolled back after timing, so the peer sees
  the same rows). The peer is Fides' strategy, re-implemented faithfully (see below): one
  privacy request per person; per table one retrieval, then for every row one ``UPDATE
  ... WHERE pk = ...`` on a connection of its own (``SQLConnector.mask_data``: ``for row
  in rows: ... with client.connect() as connection: connection.execute(update_stmt)``).
  It runs on a sample of the same people and is extrapolated linearly to all of them.

Why not the real Fides: see benchmarks/README.md (its install here is the first thing
tried; the re-implementation is what is measured when it cannot run).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from typing import Any

import sqlalchemy as sa

from keepfaith.connectors import scan
from keepfaith.connectors.access import Plan, read
from keepfaith.connectors.datamap import DatasetMap, Erasure
from keepfaith.connectors.erasure import erase, written
from keepfaith.connectors.reflect import open_database, reflect
from keepfaith.rights.export import build
from keepfaith.statement import load
from tests.conftest import EXAMPLES
from tests.connectors import databases

EXTRA_CATEGORIES = {
    ("payment", "amount"): ("user.financial",),
    ("rental", "return_date"): ("user.behavior.purchase_history",),
}


def bench_map(url: str) -> DatasetMap:
    """The scanner's map, every personal column masked (NOT NULL) or nulled."""
    dataset_map = scan(url, "pagila").map
    for table in dataset_map.tables:
        for column in table.columns:
            categories = EXTRA_CATEGORIES.get((table.name, column.name), column.categories)
            personal = any(not c.startswith("system.") for c in categories) and categories
            if personal and column.identity is None and not column.primary_key:
                erasure = Erasure.NULL
            elif column.identity == "email":
                erasure = Erasure.MASK
            else:
                erasure = Erasure.KEEP
            dataset_map = dataset_map.replace_column(
                table.name,
                column.model_copy(update={"categories": categories, "erasure": erasure}),
            )
    return dataset_map


def access(engine: sa.Engine, plan: Plan, requests: int) -> list[float]:
    statement = load(EXAMPLES / "parature" / "statement.yaml")
    with engine.connect() as connection:
        emails = list(
            connection.execute(sa.text("SELECT email FROM customer ORDER BY customer_id")).scalars()
        )
        times = []
        for n in range(requests):
            start = time.perf_counter()
            found = read(connection, plan, {"email": [emails[n % len(emails)]]})
            build(statement, {"pagila": (plan.dataset_map, found)}, dt.datetime.now(dt.UTC))
            times.append(time.perf_counter() - start)
    return times


def grow(engine: sa.Engine, people: int) -> list[str]:
    """Copy pagila's customers (with their rentals and payments) into ``people`` more."""
    copies = -(-people // 599)
    with engine.begin() as c:
        c.execute(
            sa.text(
                "CREATE TEMP TABLE copies AS SELECT g, o.customer_id AS old_id FROM customer o,"
                " generate_series(1, :n) g"
            ),
            {"n": copies},
        )
        c.execute(
            sa.text(
                "INSERT INTO customer (store_id, first_name, last_name, email, address_id,"
                " activebool, create_date, active) SELECT o.store_id, o.first_name, o.last_name,"
                " 'b' || k.g || '_' || o.email, o.address_id, o.activebool, o.create_date, o.active"
                " FROM copies k JOIN customer o ON o.customer_id = k.old_id"
            )
        )
        c.execute(
            sa.text(
                "CREATE TEMP TABLE mapping AS SELECT n.customer_id AS new_id,"
                " o.customer_id AS old_id"
                " FROM copies k JOIN customer o ON o.customer_id = k.old_id"
                " JOIN customer n ON n.email = 'b' || k.g || '_' || o.email"
            )
        )
        c.execute(
            sa.text(
                "INSERT INTO rental (rental_date, inventory_id, customer_id, return_date, staff_id)"
                " SELECT r.rental_date, r.inventory_id, m.new_id, r.return_date, r.staff_id"
                " FROM rental r JOIN mapping m ON r.customer_id = m.old_id"
            )
        )
        c.execute(
            sa.text(
                "INSERT INTO payment (customer_id, staff_id, rental_id, amount, payment_date)"
                " SELECT m.new_id, p.staff_id, nr.rental_id, p.amount, p.payment_date"
                " FROM payment p JOIN mapping m ON p.customer_id = m.old_id"
                " JOIN rental r ON r.rental_id = p.rental_id"
                " JOIN rental nr ON nr.customer_id = m.new_id AND nr.rental_date = r.rental_date"
                " AND nr.inventory_id = r.inventory_id"
            )
        )
        emails = list(
            c.execute(
                sa.text(
                    "SELECT email FROM customer WHERE email LIKE 'b%\\_%' ESCAPE '\\'"
                    " ORDER BY customer_id LIMIT :n"
                ),
                {"n": people},
            ).scalars()
        )
        c.execute(sa.text("ANALYZE"))
    return emails


def keepfaith_erasure(engine: sa.Engine, plan: Plan, emails: list[str]) -> tuple[float, Any]:
    with engine.connect() as connection:
        transaction = connection.begin()
        start = time.perf_counter()
        outcome = erase(connection, plan, {"email": emails})
        seconds = time.perf_counter() - start
        transaction.rollback()
    return seconds, outcome


FIDES_TABLES = {"customer": "customer_id", "rental": "rental_id", "payment": "payment_id"}


def fides_erasure(engine: sa.Engine, plan: Plan, emails: list[str]) -> tuple[float, int]:
    """Fides' strategy: per person, per table a retrieval, then per row an UPDATE by primary
    key on a connection of its own (autocommit, as ``client.connect()`` gives). The values
    written are keepfaith's (a masked NOT NULL column, NULL elsewhere): only the strategy
    differs, not the work each row gets."""
    values = {table: _masked(plan, table) for table in FIDES_TABLES}
    rows_changed = 0
    start = time.perf_counter()
    for email in emails:
        with engine.connect() as connection:
            customer = connection.execute(
                sa.text("SELECT customer_id FROM customer WHERE email = :e"), {"e": email}
            ).scalar_one()
        for table, key in FIDES_TABLES.items():
            where = "email = :e" if table == "customer" else "customer_id = :c"
            with engine.connect() as connection:
                ids = list(
                    connection.execute(
                        sa.text(f"SELECT {key} FROM {table} WHERE {where}"),
                        {"e": email, "c": customer},
                    ).scalars()
                )
            target = plan.tables[table]
            for row in ids:
                with engine.connect() as connection:
                    connection.execute(
                        target.update().where(target.c[key] == row).values(values[table])
                    )
                    connection.commit()
                    rows_changed += 1
    return time.perf_counter() - start, rows_changed


def _masked(plan: Plan, table: str) -> dict[str, Any]:
    """What keepfaith writes in each nulled or masked column of ``table``; keys stay, as
    Fides' masking leaves the columns its dataset marks as references."""
    declared = plan.dataset_map.table(table)
    columns = declared.columns if declared is not None else ()
    keys = {e.child_column for e in plan.edges if e.child == table}
    keys |= {e.parent_column for e in plan.edges if e.parent == table}
    return {
        c.name: written(plan, table, c.name, c.erasure)
        for c in columns
        if c.erasure in (Erasure.NULL, Erasure.MASK) and c.name not in keys
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    options = parser.parse_args()
    requests, people, sample = (200, 1_000, 50) if options.quick else (1_000, 10_000, 300)
    with databases.pagila() as url:
        engine = open_database(url, writable=True)
        dataset_map = bench_map(url)
        plan = Plan.build(dataset_map, reflect(engine))
        access(engine, plan, 50)  # warm
        times = sorted(access(engine, plan, requests))
        p50 = statistics.median(times) * 1000
        p99 = times[int(len(times) * 0.99) - 1] * 1000
        print(f"access end to end ({requests} requests): p50 {p50:.1f} ms, p99 {p99:.1f} ms")
        emails = grow(engine, people)
        seconds, outcome = keepfaith_erasure(engine, plan, emails)
        changed = sum(outcome.changed.values()) + sum(outcome.deleted.values())
        print(
            f"keepfaith erasure of {len(emails)} customers: {seconds:.2f} s, "
            f"{changed} rows changed, {len(outcome.changed) + len(outcome.deleted)} statements"
            f" tables {sorted(outcome.changed)}"
        )
        fides_seconds, fides_rows = fides_erasure(engine, plan, emails[:sample])
        estimate = fides_seconds * len(emails) / sample
        print(
            f"Fides' per-row strategy on {sample} of them: {fides_seconds:.2f} s "
            f"({fides_rows} rows), extrapolated to {len(emails)}: {estimate:.1f} s"
        )
        print(f"ratio: {estimate / seconds:.0f}x")
        engine.dispose()


if __name__ == "__main__":
    main()
