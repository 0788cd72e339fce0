"""The ledger: what the company holds about people and what it did with it.

Open one with ``Ledger(database_url, keys=...)`` or ``Ledger.from_settings(settings)``,
create its tables with ``migrate()``, and make changes in units of work::

    with ledger.transaction(actor="web") as tx:
        subject = tx.add_subject("acme", "customer")
        tx.add_record(subject, "user.contact.email", "ann@example.com",
                      collection_point="signup")

Every change appends an entry to the audit chain in the same transaction.
"""

from keepfaith.ledger.audit import AuditEntry
from keepfaith.ledger.crypto import Keyring, generate_key
from keepfaith.ledger.rows import (
    ConsentEvent,
    ConsentKind,
    ConsentMethod,
    Disclosure,
    Hold,
    Record,
    StatementVersion,
    Status,
    Subject,
    recipient_choice,
)
from keepfaith.ledger.store import Ledger, Transaction

__all__ = [
    "AuditEntry",
    "ConsentEvent",
    "ConsentKind",
    "ConsentMethod",
    "Disclosure",
    "Hold",
    "Keyring",
    "Ledger",
    "Record",
    "StatementVersion",
    "Status",
    "Subject",
    "Transaction",
    "generate_key",
    "recipient_choice",
]
