"""A correction in the ledger: the person's records of each category get the new value,
except those that came from another source, which are refused with the reason and where
to correct them (EZ-04); the answer lists the recipients that already received the old
value (PA-31), and says whether the statement promises to reach them."""

from __future__ import annotations

from typing import Any

from keepfaith.ledger import Transaction, disclosures, records, statements, subjects
from keepfaith.ledger.cases import Case
from keepfaith.statement import Statement
from keepfaith.statement.schema import CollectionKind


def correct(tx: Transaction, case: Case) -> dict[str, Any]:
    """Correct the case's ``changes`` in the ledger; what was corrected, refused, and who
    received the old value."""
    changes: dict[str, str] = dict(case.details.get("changes", {}))
    answer: dict[str, Any] = {"corrected": [], "refused": {}, "recipients": []}
    if case.subject_id is None:
        return answer
    subject = subjects.get(tx, case.tenant, case.subject_id)
    statement = statements.get(tx, case.tenant, subject.statement_version)
    for record in records.of(tx, subject, changes):
        elsewhere = _elsewhere(statement, record.collection_point, record.source)
        if elsewhere is not None:
            answer["refused"][record.category] = elsewhere
            continue
        records.correct(tx, record, changes[record.category])
        answer["corrected"].append(record.category)
    corrected = set(answer["corrected"])
    for disclosure in disclosures.of(tx, case.tenant, subject):
        if corrected & set(disclosure.categories):
            answer["recipients"].append(
                {
                    "recipient": disclosure.recipient,
                    "at": f"{disclosure.at:%Y-%m-%d}",
                    "categories": sorted(corrected & set(disclosure.categories)),
                }
            )
    answer["recipients_reached"] = statement.rights.corrections_reach_recipients
    return answer


def _elsewhere(
    statement: Statement, point_id: str | None, source: str | None
) -> dict[str, str] | None:
    """Why a record cannot be corrected here, and where it can: it came from outside."""
    point = next((p for p in statement.collection_points if p.id == point_id), None)
    origin = source or (point.source if point and point.kind == CollectionKind.IMPORT else None)
    if origin is None:
        return None
    return {
        "reason": f"it came from {origin}, which holds it: we cannot change it",
        "where": (point.description if point and point.description else f"correct it at {origin}"),
    }
