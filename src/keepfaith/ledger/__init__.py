"""The ledger: what the company holds about people and what it did with it.

Open one with ``Ledger(database_url, keys=...)`` or ``Ledger.from_settings(settings)``,
create its tables with ``migrate()``, and make changes in units of work, through the
module of each concern::

    from keepfaith.ledger import consents, records, subjects

    with ledger.transaction(actor="signup-form") as tx:
        ann = subjects.add(tx, "acme", "customer")
        records.add(tx, ann, "user.contact.email", "ann@example.com",
                    collection_point="signup")
        consents.record(tx, ann, "newsletter", method="explicit")

Every change appends an entry to the audit chain in the same transaction. The concerns:
``statements`` (published versions), ``subjects``, ``records``, ``consents``,
``preferences``, ``holds``, ``disclosures``, ``staff`` (users, sessions, API tokens),
``logins`` (people's own passwords) and ``statistics`` (anonymous visit statistics from
web-server logs); ``crypto`` holds the keys, tokens and passwords.
"""

from keepfaith.ledger.audit import AuditEntry
from keepfaith.ledger.crypto import Keyring, generate_key
from keepfaith.ledger.rows import (
    ConsentEvent,
    ConsentKind,
    ConsentMethod,
    ConsentState,
    Disclosure,
    Hold,
    Record,
    StatementVersion,
    Status,
    Subject,
    recipient_choice,
)
from keepfaith.ledger.transaction import Ledger, Transaction

__all__ = [
    "AuditEntry",
    "ConsentEvent",
    "ConsentKind",
    "ConsentMethod",
    "ConsentState",
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
