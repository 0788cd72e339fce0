"""The disclosure log as staff and the person read it: per person, per recipient."""

from __future__ import annotations

from keepfaith.ledger import Disclosure, Ledger, disclosures, subjects


def of_person(ledger: Ledger, tenant: str, subject_id: int) -> list[Disclosure]:
    """Every disclosure of one person's data, oldest first (``NotFound`` in another tenant)."""
    with ledger.reading(actor="staff") as tx:
        subject = subjects.get(tx, tenant, subject_id)
        return disclosures.of(tx, tenant, subject)


def of_recipient(ledger: Ledger, tenant: str, recipient: str) -> list[Disclosure]:
    """Every disclosure to one recipient, oldest first."""
    with ledger.reading(actor="staff") as tx:
        return disclosures.of(tx, tenant, recipient=recipient)


def recipients(ledger: Ledger, tenant: str) -> dict[str, int]:
    """Each recipient in the log with how many disclosures it received."""
    counts: dict[str, int] = {}
    with ledger.reading(actor="staff") as tx:
        for entry in disclosures.of(tx, tenant):
            counts[entry.recipient] = counts.get(entry.recipient, 0) + 1
    return counts


def told_to_person(ledger: Ledger, tenant: str, subject_id: int) -> list[Disclosure]:
    """What the person sees of their own log: everything but legal disclosures still
    under a gag period (a request may forbid telling them for a time)."""
    with ledger.reading() as tx:
        subject = subjects.get(tx, tenant, subject_id)
        return disclosures.shown_to_person(tx, tenant, subject)
