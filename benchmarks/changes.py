"""Benchmark of publishing a material change, and of may() with pending changes.

    python -m benchmarks.changes             # 1M subjects on PostgreSQL
    python -m benchmarks.changes --quick     # 20k, for a smoke run

Loads N Parature customers with an email address into PostgreSQL (bulk
``INSERT ... SELECT``: a load, not a use), then publishes a version that adds a use of
email addresses (material, PA-32): the time to compute the affected people and write
their pending changes (one ``INSERT ... SELECT``), then the notice job for all of them
(the engine's audience, one ``INSERT ... SELECT`` into the outbox, two ``UPDATE``s).
Last, ``may()`` and ``decide()`` per second for people with no pending change, a pending
change not yet due,
and one already due, in the same run: the effective-date check is one attribute test for
everyone without a pending change. Then ``publish.move`` of everyone to the new version
(what a change without a choice does, SC-10), with their allowances. No peer does this
(Fides keeps the policy as a URL).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa

import keepfaith
from keepfaith.changes import notices, publish
from keepfaith.engine import Engine
from keepfaith.ledger import Ledger, allowances, statements
from keepfaith.ledger import changes as pending
from keepfaith.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
PARATURE = ROOT / "examples" / "parature" / "statement.yaml"
POSTGRES = os.environ.get(
    "KEEPFAITH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
KEY = "YmVuY2htYXJrIGF1ZGl0IGtleSwgbmV2ZXIgZm9yIHJlYWwgdXNl"
EMAIL = "user.contact.email"
NEW_USE = """purposes:
  - id: partner_offers
    name: Offers from our partners, by email
    basis: opt_out
    categories: [user.contact.email]
    marketing: true
    unsubscribe: [one_click]
"""


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def load_population(ledger: Ledger, count: int) -> None:
    """``count`` active Parature customers, each with an address from registration."""
    now = "'2024-03-01 12:00:00+00'"
    seq = f"SELECT generate_series(1, {count}) AS n"
    steps = [
        f"""INSERT INTO subjects (id, tenant, kind, statement_version, status, known_child, gpc,
            created_at, updated_at)
            SELECT n, 'parature', 'customer', '2010', 'active', false, false, {now}, {now}
            FROM ({seq}) AS s""",
        f"""INSERT INTO records (id, tenant, subject_id, category, value, collection_point,
            statement_version, provenance, anonymous, collected_at, updated_at)
            SELECT n, 'parature', n, '{EMAIL}', 'person' || n || '@example.com',
                   'registration', '2010', '{{}}', false, {now}, {now} FROM ({seq}) AS s""",
        """INSERT INTO collected_for (record_id, subject_id, category, purpose, collection_point)
            SELECT id, subject_id, category, 'administrative_email', 'registration'
            FROM records""",
        "SELECT setval('subjects_id_seq', (SELECT max(id) FROM subjects))",
        "SELECT setval('records_id_seq', (SELECT max(id) FROM records))",
    ]
    with ledger.engine.begin() as connection:
        for step in steps:
            connection.execute(sa.text(step))
    with ledger.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(
            sa.text("VACUUM ANALYZE")
        )


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}/s" if seconds else "inf"


def run(url: str, count: int, sample: int) -> None:
    ledger = Ledger(url, audit_key=KEY)
    ledger.migrate()
    text = PARATURE.read_text(encoding="utf-8")
    with ledger.transaction(actor="bench") as tx:
        statements.publish(tx, keepfaith.loads(text), text)
    seconds, _ = timed(lambda: load_population(ledger, count))
    allowances.rebuild(ledger)
    print(f"loaded {count:,} customers in {seconds:.1f} s (and their allowances)")
    new_text = text.replace('version: "2010"', 'version: "2026"', 1).replace(
        "\npurposes:\n", "\n" + NEW_USE, 1
    )
    new = keepfaith.loads(new_text)

    def go() -> int:
        with ledger.transaction(actor="bench") as tx:
            return publish.publish(tx, new, new_text).id

    seconds, publication = timed(go)
    with ledger.reading() as tx:
        waiting = sum(pending.counts(tx, publication).values())
    print(
        f"publish + affected people + pending changes: {waiting:,} people in {seconds:.2f} s "
        f"({rate(waiting, seconds)})"
    )
    settings = Settings(database_url=url, secret_key="bench-secret-key-0123456789", audit_key=KEY)

    def notify_all() -> dict[str, int]:
        with ledger.transaction(actor="changes") as tx:
            return notices.queue_notices(tx, settings, publication)

    seconds, told = timed(notify_all)
    print(
        f"notice job: {told['email']:,} notices queued in the outbox and {told['post']:,} "
        f"told by posting, set-based, in {seconds:.2f} s ({rate(sum(told.values()), seconds)})"
    )
    decisions(ledger, count, sample)

    def move_all() -> int:
        with ledger.transaction(actor="bench") as tx:
            return publish.move(tx, "parature", "2010", "2026")

    seconds, moved = timed(move_all)
    print(
        f"publish.move (a change without a choice): {moved:,} people and their allowances "
        f"moved set-based in {seconds:.2f} s ({rate(moved, seconds)})"
    )
    ledger.close()


def _publication(ledger: Ledger, publication_id: int) -> pending.Publication:
    with ledger.reading() as tx:
        return pending.publication(tx, publication_id)


def decisions(ledger: Ledger, count: int, sample: int) -> None:
    """may() (one query each) and decide() (in memory) with and without pending changes."""
    engine = Engine(ledger)
    emailed = range(1, sample + 1)  # their notices were queued: pending, due in 15 days
    ids_none = _without_pending(ledger, sample)
    question = ("administrative_email", EMAIL)
    for label, ids in (
        ("no pending change", ids_none),
        ("pending, not due", list(emailed)),
    ):
        seconds, _ = timed(lambda ids=ids: [engine.may(i, *question) for i in ids])
        print(f"may() {label:<22} {rate(len(ids), seconds):>12}")
    base = engine.state(ids_none[0] if ids_none else 1)
    later = ledger.clock() + dt.timedelta(days=15)
    states = {
        "no pending change": dataclasses.replace(base, pending=None),
        "pending, not due": dataclasses.replace(base, pending=("2026", later)),
        "pending, due": dataclasses.replace(base, pending=("2026", ledger.clock())),
    }
    repeat = 200_000
    for label, state in states.items():
        seconds, _ = timed(lambda s=state: [engine.decide(s, *question) for _ in range(repeat)])
        print(f"decide() {label:<19} {rate(repeat, seconds):>12}")


def _without_pending(ledger: Ledger, sample: int) -> list[int]:
    """Some people with no pending change: customers added after the publication."""
    now = "'2024-03-01 12:00:00+00'"
    with ledger.engine.begin() as connection:
        top = int(connection.execute(sa.text("SELECT max(id) FROM subjects")).scalar_one())
        connection.execute(
            sa.text(
                f"""INSERT INTO subjects (id, tenant, kind, statement_version, status,
                known_child, gpc, created_at, updated_at)
                SELECT {top} + n, 'parature', 'customer', '2026', 'active', false, false,
                {now}, {now} FROM generate_series(1, {sample}) AS n"""
            )
        )
    return list(range(top + 1, top + sample + 1))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20k subjects, for a smoke run")
    parser.add_argument("--subjects", type=int, help="subjects to publish over")
    args = parser.parse_args(argv)
    count = args.subjects or (20_000 if args.quick else 1_000_000)
    sample = 500 if args.quick else 2_000
    print(f"python {sys.version.split()[0]}, PostgreSQL, one process")
    print("machine load (1, 5, 15 min): {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    schema = f"kf_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(POSTGRES)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in POSTGRES else "?"
    try:
        run(f"{POSTGRES}{sep}options=-csearch_path%3D{schema}", count, sample)
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
