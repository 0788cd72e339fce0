"""Moving people whose pending change has come due onto the new version.

``may()`` already decides under the new version from a change's due time (the snapshot
carries it); ``apply_due`` makes the move permanent, so that the person's row, their
allowances (and so every audience) and their next pending change start from it. It runs
as a periodic job and may run at any time: a change applies once.
"""

from __future__ import annotations

import datetime as dt

from keepfaith import jobs
from keepfaith.changes.answers import record_told
from keepfaith.ledger import Ledger, statements, subjects
from keepfaith.ledger import changes as pending
from keepfaith.ledger.rows import ConsentKind
from keepfaith.ledger.transaction import Transaction

BATCH = 1000


def fall_back_to_posting(tx: Transaction, tenant: str | None = None) -> int:
    """People whose notice never reached them (withheld at sending, failed, bounced) were
    told by posting alone, so their change applies the posting window after publication
    (PA-32), not N days after an email they never got: set-based, per publication."""
    moved = 0
    for publication_id, _ in pending.unreached_by_email(tx, tenant):
        published = pending.publication(tx, publication_id)
        rule = statements.get(tx, published.tenant, published.from_version).changes
        window = rule.post_effective_days
        due = published.published_at + dt.timedelta(days=window) if window is not None else None
        moved += pending.fall_back_to_posting(tx, publication_id, due)
    return moved


def apply_due(tx: Transaction, tenant: str | None = None, limit: int = BATCH) -> int:
    """Move up to ``limit`` people whose change is due now; how many moved."""
    moved = 0
    for change in pending.due(tx, tenant, tx.now(), limit):
        subject = subjects.get(tx, change.tenant, change.subject_id)
        if subject.statement_version == change.from_version:
            on_new = subjects.set_statement_version(tx, subject, change.to_version)
            # Told by the email or the posting: an opt-out new use applies from the due
            # time unless they object, as ``may()`` decided in between.
            record_told(tx, on_new, change, ConsentKind.NOTIFIED, change.due_at)
        pending.mark_applied(tx, change)
        moved += 1
    return moved


def apply_all_due(ledger: Ledger, tenant: str | None = None) -> int:
    """``apply_due`` in batches, one unit of work each, until none is due."""
    with ledger.transaction(actor="changes") as tx:
        fall_back_to_posting(tx, tenant)
    total = 0
    while True:
        with ledger.transaction(actor="changes") as tx:
            moved = apply_due(tx, tenant)
        total += moved
        if moved < BATCH:
            return total


@jobs.task("changes.apply_due", every=3600)
def apply_due_job(context: jobs.Context) -> None:
    apply_all_due(context.ledger)
