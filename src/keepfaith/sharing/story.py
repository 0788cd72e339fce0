"""One person's whole story, in order, from the audit chain: collection, consents, uses,
disclosures, requests, complaints, messages; each step with the clauses behind it.

A step's clauses are those its entry recorded (a use, a disclosure), else those the
statement gives the purpose, choice or collection point the entry names. The audit chain
is read in position order and only entries about this person are kept (their subject,
records, consents, disclosures, messages, and the cases that name them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keepfaith.ledger import Ledger, statements, subjects
from keepfaith.statement import Statement

STAGES = {
    "record": "collection",
    "subject": "collection",
    "consent": "consent",
    "preference": "consent",
    "disclosure": "disclosure",
    "legal_request": "disclosure",
    "rights_case": "request",
    "message": "message",
    "hold": "hold",
}


@dataclass(frozen=True)
class Step:
    at: str
    stage: str
    """collection, consent, use, disclosure, request, complaint, message, hold, other."""
    action: str
    actor: str
    details: dict[str, Any]
    clauses: tuple[str, ...]


def story(ledger: Ledger, tenant: str, subject_id: int) -> list[Step]:
    """The person's steps, oldest first (``NotFound`` for a subject of another tenant)."""
    with ledger.reading(actor="staff") as tx:
        subject = subjects.get(tx, tenant, subject_id)
        statement = statements.get(tx, tenant, subject.statement_version)
    cases: set[str] = set()
    complaints: set[str] = set()
    steps = []
    for entry in ledger.audit_entries():
        if entry.tenant != tenant:
            continue
        details = entry.detail()
        mine = (entry.object == "subject" and entry.object_id == str(subject_id)) or (
            details.get("subject") == subject_id
        )
        if entry.object == "rights_case" and (mine or entry.object_id in cases):
            cases.add(str(entry.object_id))
            if details.get("kind") == "complaint":
                complaints.add(str(entry.object_id))
            mine = True
        if not mine:
            continue
        stage = _stage(entry.object, entry.action)
        steps.append(
            Step(
                entry.at,
                "complaint" if str(entry.object_id) in complaints else stage,
                entry.action,
                entry.actor,
                details,
                _clauses(statement, details),
            )
        )
    return steps


def _stage(kind: str, action: str) -> str:
    return "use" if action == "use" else STAGES.get(kind, "other")


def _clauses(statement: Statement, details: dict[str, Any]) -> tuple[str, ...]:
    given = details.get("clauses")
    if isinstance(given, list):
        return tuple(str(c) for c in given)
    found: list[str] = []
    for name in ("purpose", "choice"):
        value = details.get(name)
        found += [c for p in statement.purposes if p.id == value for c in p.clauses]
    point = details.get("collection_point")
    found += [c for p in statement.collection_points if p.id == point for c in p.clauses]
    return tuple(dict.fromkeys(found))
