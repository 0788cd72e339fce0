"""The unit of work: connection, actor, clock and audit queue, committed together.

What takes part in a commit (``before_commit``, ``after_commit``) happens exactly when the
commit does; a rolled-back publish leaves nothing cached; reads cannot change anything;
a duplicate the database refuses is a ``Conflict``.
"""

from __future__ import annotations

import datetime as dt

import pytest

import keepfaith
from keepfaith.exceptions import Conflict, NotFound
from keepfaith.ledger import Ledger, preferences, statements, subjects
from keepfaith.ledger.rows import Status, Subject, from_row
from keepfaith.ledger.subjects import subjects as subject_rows
from tests.ledger.support import RULES, Clock, read


def test_after_commit_runs_once_committed_and_never_after_a_rollback(ledger: Ledger) -> None:
    seen: list[str] = []
    with ledger.transaction() as tx:
        tx.before_commit(lambda: seen.append("before"))
        tx.after_commit(lambda: seen.append("after"))
        subjects.add(tx, "acme", "customer")
        assert seen == []
    assert seen == ["before", "after"]
    seen.clear()
    with pytest.raises(RuntimeError, match="stop"), ledger.transaction() as tx:
        tx.after_commit(lambda: seen.append("after"))
        raise RuntimeError("stop")
    assert seen == []


def test_before_commit_work_lands_in_the_same_commit(ledger: Ledger) -> None:
    with ledger.transaction() as tx:
        ann = subjects.add(tx, "acme", "customer")
        tx.before_commit(lambda: preferences.put(tx, ann, "language", "fr"))
    assert read(ledger, preferences.of, ann) == {"language": "fr"}
    assert ledger.audit_entries()[-1].object == "preference"


def test_a_rolled_back_publish_is_neither_stored_nor_cached(ledger: Ledger) -> None:
    text = RULES.read_text(encoding="utf-8")
    statement = keepfaith.loads(text)
    with pytest.raises(RuntimeError), ledger.transaction() as tx:
        statements.publish(tx, statement, text)
        # Inside the unit of work the new version is there to use ...
        assert subjects.add(tx, "rules", "customer").statement_version == "1"
        raise RuntimeError("the operator changed their mind")
    # ... and after its rollback it is nowhere, in the database nor in the cache.
    assert ("rules", "1") not in ledger.caches["statements"]
    with pytest.raises(NotFound), ledger.reading() as tx:
        statements.get(tx, "rules", "1")
    with ledger.transaction() as tx:
        statements.publish(tx, statement, text)
        assert ("rules", "1") not in ledger.caches["statements"]  # not before the commit
    assert ledger.caches["statements"][("rules", "1")] is statement


def test_changes_take_their_time_from_the_ledger_clock(ledger: Ledger, clock: Clock) -> None:
    clock.advance(days=3)
    with ledger.transaction(actor="clerk") as tx:
        ann = subjects.add(tx, "acme", "customer")
        assert tx.now() == clock.now
    assert ann.created_at == clock.now
    entry = ledger.audit_entries()[-1]
    assert (entry.actor, entry.at) == ("clerk", clock.now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))


def test_a_reading_unit_refuses_changes(ledger: Ledger) -> None:
    with ledger.reading() as tx, pytest.raises(RuntimeError, match="reading"):
        tx.audit("add", "subject", 1)


def test_a_duplicate_the_database_refuses_is_a_conflict(ledger: Ledger) -> None:
    with ledger.transaction() as tx:
        subjects.add(tx, "acme", "customer", reference="crm-1")
    before = len(ledger.audit_entries())
    with pytest.raises(Conflict, match="try again"), ledger.transaction() as tx:
        subjects.add(tx, "acme", "customer", reference="other")
        subjects.add(tx, "acme", "customer", reference="crm-1")
    assert len(ledger.audit_entries()) == before
    with ledger.reading() as tx:
        assert [s.reference for s in subjects.of_tenant(tx, "acme")] == ["crm-1"]


def test_rows_map_to_values_by_column_name(ledger: Ledger, clock: Clock) -> None:
    with ledger.transaction() as tx:
        added = subjects.add(tx, "acme", "customer", reference="r")
    with ledger.engine.connect() as connection:
        row = connection.execute(subject_rows.select()).one()
    mapped = from_row(Subject, row)
    assert mapped == added
    assert mapped.status is Status.ACTIVE and mapped.created_at == clock.now
    assert mapped.created_at is not None and mapped.created_at.tzinfo is dt.UTC
    assert from_row(Subject, row, kind="visitor").kind == "visitor"
