"""Actual knowledge that a person is a child: what the statement promises then (PA-27).

``learn_child`` flags the person as a known child, so the engine refuses every use of
their data from then on, and keeps the statement's promise for that moment: with
``on_actual_knowledge: delete`` every record of theirs is erased, through the ledger's
record erasure that rights requests use too; with ``deactivate`` the person is
deactivated. The trail stays: the subject row (flagged), the consent history and the
audit chain, whose entry lists the erased record ids and never their values.
"""

from __future__ import annotations

from dataclasses import dataclass

from keepfaith.engine.decision import Decision
from keepfaith.ledger import Status, Subject, Transaction, records, statements, subjects
from keepfaith.statement.schema import ChildAction


@dataclass(frozen=True)
class ChildHandled:
    """What learning of a child did."""

    subject: Subject
    erased: int
    """How many records were erased."""
    decision: Decision
    """The promise kept, with the clauses of the statement's ``children`` section."""


def learn_child(tx: Transaction, subject: Subject) -> ChildHandled:
    """Flag ``subject`` as a known child and do what their statement version promises."""
    person = subjects.set_known_child(tx, subjects.get(tx, subject.tenant, subject.id))
    statement = statements.get(tx, person.tenant, person.statement_version)
    children = statement.children
    if children is None:
        decision = Decision(True, "a known child: no use at all (the statement promises no more)")
        return ChildHandled(person, 0, decision)
    clauses = tuple(children.clauses)
    if children.on_actual_knowledge is ChildAction.DELETE:
        erased = records.delete(tx, person)
        reason = f"a known child: {erased} records erased, as the statement promises"
        return ChildHandled(person, erased, Decision(True, reason, clauses))
    person = subjects.set_status(tx, person, Status.DEACTIVATED)
    reason = "a known child: the account is deactivated, as the statement promises"
    return ChildHandled(person, 0, Decision(True, reason, clauses))
