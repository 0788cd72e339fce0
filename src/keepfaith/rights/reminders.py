"""Reminders before a request's deadline: staff hear of a case while there is still time
to answer it, not when the queue shows it red.

Every hour a job looks at each tenant's open requests due within ``remind_days``
(``Settings.rights_remind_days``) and writes to the statement's privacy contact through
the outbox: one message per case and deadline (an extension moves the deadline and earns
a new reminder). The reminder names the case, its kind and its deadline, never the
person. Complaints have their own clock and escalate on it (``rights.complaints``).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from keepfaith import jobs
from keepfaith.ledger import Transaction, statements
from keepfaith.ledger.cases import Case, Kind, State, cases, get, note, trail
from keepfaith.messaging import send_to_address
from keepfaith.rights.cases import mail_purpose
from keepfaith.statement import Statement

REMIND = "rights.remind"
REMINDED = "reminded"
"""The trail event of a reminder, with the deadline it was for."""


def due_soon(tx: Transaction, tenant: str, within: dt.timedelta) -> list[Case]:
    """The tenant's open requests due within ``within`` (overdue ones too), soonest
    first: one query over the due index."""
    ids = tx.connection.execute(
        sa.select(cases.c.id)
        .where(
            cases.c.tenant == tenant,
            cases.c.state == State.OPEN.value,
            cases.c.kind != Kind.COMPLAINT.value,
            cases.c.due_at <= tx.now() + within,
        )
        .order_by(cases.c.due_at, cases.c.id)
    ).scalars()
    return [get(tx, tenant, case_id) for case_id in ids]


def remind(tx: Transaction, tenant: str, remind_days: int) -> list[Case]:
    """Remind staff of every case due within ``remind_days`` not reminded yet for its
    present deadline; return the cases reminded."""
    statement = statements.get(tx, tenant)
    to = staff_address(statement)
    if to is None:
        return []
    reminded = []
    for case in due_soon(tx, tenant, dt.timedelta(days=remind_days)):
        deadline = case.due_at.isoformat() if case.due_at else ""
        if _reminded(tx, case, deadline):
            continue
        send_to_address(
            tx,
            tenant,
            to,
            mail_purpose(statement),
            "notice",
            context={"title": f"Request {case.id} is due", "text": _text(case)},
        )
        note(tx, case, REMINDED, due_at=deadline)
        reminded.append(case)
    return reminded


def _reminded(tx: Transaction, case: Case, deadline: str) -> bool:
    """Whether the case's trail has a reminder for this deadline already."""
    return any(e.event == REMINDED and e.details.get("due_at") == deadline for e in trail(tx, case))


def staff_address(statement: Statement) -> str | None:
    """Where staff reminders go: the privacy contact's email, else the first contact's."""
    contacts = sorted(statement.organisation.contacts, key=lambda c: c.role != "privacy")
    return next((c.email for c in contacts if c.email), None)


def _text(case: Case) -> str:
    due = f"{case.due_at:%Y-%m-%d %H:%M} UTC" if case.due_at else "no deadline"
    return (
        f"The {case.kind.value} request {case.id}, received {case.received_at:%Y-%m-%d}, "
        f"must be answered by {due}. Open the requests queue in keepfaith's admin area."
    )


@jobs.task(REMIND, every=3600)
def reminder_job(context: jobs.Context) -> None:
    """Remind staff of the requests due soon, for every tenant, every hour."""
    days = context.settings.rights_remind_days
    jobs.each_tenant(context, "rights", lambda tx, tenant: remind(tx, tenant, days))
