"""Benchmark of the disclosure log: a decided, projected, recorded disclosure against a
bare insert of the same row, and the escalation sweep over many complaints.

    python -m benchmarks.sharing              # 5,000 disclosures, 20,000 complaints
    python -m benchmarks.sharing --quick      # 500 and 2,000, a smoke run

On SQLite (a temporary file), Parature's example statement, one person per disclosure:

- Disclosure: ``sharing.disclose`` (the engine's decision over the person's snapshot, the
  projection to the recipient's categories, the transfer check and mechanism, the row and
  its audit entry), one transaction each. The peer is the floor any log pays: the same
  row inserted into the same table with one ``INSERT``, one transaction each, deciding
  nothing. The ratio is keepfaith's price for never logging an undecided disclosure.
- Escalation: ``complaints.overdue`` over N open complaints of which 1% are past their
  deadline: one indexed query finds them (then ``escalate_overdue`` escalates exactly
  those, checked). The peer is reading every complaint and checking its deadline in
  Python, the loop a cron script would write.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from keepfaith import sharing
from keepfaith.engine import Engine
from keepfaith.ledger import Keyring, disclosures, records, subjects
from keepfaith.ledger.cases import Kind, State, cases
from keepfaith.rights import complaints
from keepfaith.settings import Settings
from tests.conftest import EXAMPLES
from tests.ledger.support import KEY, Clock, open_ledger

STATEMENT = EXAMPLES / "parature" / "statement.yaml"
DATA = {"user.name": "Ann", "user.contact.email": "ann@example.com", "user.job_title": "CTO"}


def bench_disclosures(folder: Path, count: int) -> tuple[float, float]:
    ledger, loaded = open_ledger(f"sqlite:///{folder}/d.db", [STATEMENT], keys=Keyring({"k1": KEY}))
    engine = Engine(ledger, loaded)
    people = []
    with ledger.transaction() as tx:
        for _ in range(count):
            person = subjects.add(tx, "parature", "customer")
            for category in ("user.name", "user.contact.email"):
                records.add(tx, person, category, "x", collection_point="correspondence")
            people.append(person)
    start = time.perf_counter()
    for person in people:
        with ledger.transaction(actor="bench") as tx:
            done = sharing.disclose(
                tx, engine, person, "email_provider", "respond_to_requests", DATA, country="US"
            )
        assert done.allowed and done.dropped == ("user.job_title",)
    ours = time.perf_counter() - start
    start = time.perf_counter()
    for person in people:
        with ledger.engine.begin() as connection:
            connection.execute(
                disclosures.disclosures.insert().values(
                    tenant="parature",
                    subject_id=person.id,
                    recipient="email_provider",
                    categories=["user.name", "user.contact.email"],
                    basis="required",
                    purpose="respond_to_requests",
                    country="US",
                    anonymous=False,
                    at=dt.datetime.now(dt.UTC),
                )
            )
    bare = time.perf_counter() - start
    ledger.close()
    return ours, bare


def bench_escalation(folder: Path, count: int) -> tuple[float, float, int]:
    clock = Clock()
    ledger, _ = open_ledger(f"sqlite:///{folder}/c.db", [STATEMENT], clock=clock)
    settings = Settings(secret_key="bench secret key, long enough to pass", database_url="x")
    with ledger.transaction() as tx:
        first = complaints.open_complaint(tx, settings, "parature", "a@example.com", "late")
    later = clock.now + dt.timedelta(days=30)
    rows = [
        {**{c.name: getattr(first, c.name) for c in cases.c if c.name != "id"}, "due_at": later}
        for _ in range(count - count // 100)
    ]
    with ledger.engine.begin() as connection:
        connection.execute(cases.insert(), rows)
        connection.execute(cases.insert(), [rows[0] | {"due_at": first.due_at}] * (count // 100))
    clock.advance(days=10)
    start = time.perf_counter()
    with ledger.engine.connect() as connection:
        overdue = [
            row.id
            for row in connection.execute(
                sa.select(cases).where(cases.c.kind == Kind.COMPLAINT.value)
            )
            if row.state in (State.OPEN.value, State.ACKNOWLEDGED.value)
            and row.due_at is not None
            and row.due_at.replace(tzinfo=dt.UTC) <= clock.now
        ]
    loop = time.perf_counter() - start
    start = time.perf_counter()
    with ledger.reading() as tx:
        found = complaints.overdue(tx, "parature")
    ours = time.perf_counter() - start
    assert sorted(i for i, _ in found) == sorted(overdue)
    with ledger.transaction(actor="bench") as tx:
        escalated = complaints.escalate_overdue(tx, "parature")
    assert sorted(c.id for c in escalated) == sorted(overdue)
    ledger.close()
    return ours, loop, len(escalated)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    quick = parser.parse_args().quick
    n_disclosures, n_complaints = (500, 2_000) if quick else (5_000, 20_000)
    with tempfile.TemporaryDirectory() as folder:
        ours, bare = bench_disclosures(Path(folder), n_disclosures)
        print(
            f"disclosures: {n_disclosures} decided+recorded in {ours:.2f}s "
            f"({n_disclosures / ours:,.0f}/s); bare inserts {bare:.2f}s "
            f"({n_disclosures / bare:,.0f}/s); keepfaith/bare time ratio {ours / bare:.2f}"
        )
        ours, loop, escalated = bench_escalation(Path(folder), n_complaints)
        print(
            f"escalation: {escalated} of {n_complaints} complaints overdue, found in "
            f"{ours * 1000:.1f} ms by one query; the read-all loop {loop * 1000:.1f} ms; "
            f"loop/query ratio {loop / ours:.1f}"
        )


if __name__ == "__main__":
    main()
