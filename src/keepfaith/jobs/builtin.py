"""keepfaith's own periodic jobs: sealing the audit log, forgetting finished jobs."""

from __future__ import annotations

import datetime as dt
import json

from keepfaith.jobs.registry import Context, task
from keepfaith.ledger import audit


@task("audit.seal", attempts=3, backoff=1, every=lambda settings: settings.audit_seal_seconds)
def seal_audit(context: Context) -> None:
    """Seal the audit entries written since the last seal; write the witness if asked."""
    made = context.ledger.seal_audit()
    target = context.settings.audit_witness_file
    if made is not None and target is not None:
        partial = target.with_name(target.name + ".partial")
        partial.write_text(json.dumps(audit.witness(made), indent=1) + "\n", encoding="utf-8")
        partial.replace(target)  # a reader never sees half a witness


@task("jobs.forget", every=3600)
def forget_finished_jobs(context: Context) -> None:
    """Delete succeeded jobs older than a day (dead ones stay, for staff to see why)."""
    from keepfaith.jobs import forget

    forget(context.ledger, dt.timedelta(days=1))
