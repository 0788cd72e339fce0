"""What staff see of the cases: the queue (filtered, soonest due first, with where each
clock stands) and one case with its trail. Reads only; the answers are in ``cases``."""

from __future__ import annotations

from dataclasses import dataclass

from keepfaith.ledger import Ledger
from keepfaith.ledger.cases import Case, Event, Kind, get, listing, trail
from keepfaith.rights.clock import standing


@dataclass(frozen=True)
class Entry:
    case: Case
    standing: str
    """``overdue``, ``due_soon``, ``on_time``, ``no_deadline``, or ``closed``."""


def queue(
    ledger: Ledger,
    tenant: str,
    *,
    state: str | None = None,
    kind: str | None = None,
    standing_is: str | None = None,
) -> list[Entry]:
    """The tenant's cases, soonest due first; ``standing_is`` keeps overdue ones, say.

    Complaints are their own queue: listed only when ``kind`` is ``complaint``."""
    with ledger.reading(actor="staff") as tx:
        now = tx.now()
        entries = [
            Entry(case, "closed" if case.closed_at else standing(case.due_at, now))
            for case in listing(tx, tenant, state=state, kind=kind)
        ]
    complaints = kind == Kind.COMPLAINT.value
    return [
        e
        for e in entries
        if (standing_is is None or e.standing == standing_is)
        and (e.case.kind == Kind.COMPLAINT) == complaints
    ]


def detail(ledger: Ledger, tenant: str, case_id: int) -> tuple[Entry, list[Event]]:
    with ledger.reading(actor="staff") as tx:
        case = get(tx, tenant, case_id)
        now = tx.now()
        return Entry(case, "closed" if case.closed_at else standing(case.due_at, now)), trail(
            tx, case
        )
