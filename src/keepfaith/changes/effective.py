"""Moving people whose pending change has come due onto the new version.

``may()`` already decides under the new version from a change's due time (the snapshot
carries it); ``apply_due`` makes the move permanent, so that the person's row, their
allowances (and so every audience) and their next pending change start from it. It runs
as a periodic job and may run at any time: a change applies once.
"""

from __future__ import annotations

from keepfaith import jobs
from keepfaith.changes.answers import record_told
from keepfaith.ledger import Ledger, subjects
from keepfaith.ledger import changes as pending
from keepfaith.ledger.rows import ConsentKind
from keepfaith.ledger.transaction import Transaction

BATCH = 1000


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
