"""Unsubscribing: by the one-click link (RFC 8058) or by a reply, idempotent and at once.

``unsubscribe(tx, message_id, method)`` stops the purpose of the message it names for the
person it went to, in the caller's transaction:

- the person's consent to the purpose is recorded as withdrawn (``link`` or
  ``reply_email``, with the message in its evidence), so the engine refuses the next
  message of that purpose at once, whether it is queued already or not;
- the address's keyed hash goes on the suppression list for the purpose, so the person
  stays unsubscribed after their records are erased (the list holds nothing else).

Unsubscribing twice changes nothing the second time. Only promotional messages (their
purpose ``marketing``) can be unsubscribed from: service and transactional mail carry
no unsubscribe, and a reply saying "unsubscribe" to one is kept for staff.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from keepfaith.exceptions import InvalidToken, NotFound, Refused
from keepfaith.ledger import ConsentKind, ConsentMethod, Status, Transaction, consents, subjects
from keepfaith.ledger import messages as rows
from keepfaith.ledger.consents import consent_state
from keepfaith.ledger.rows import ConsentState
from keepfaith.messaging import links


@dataclass(frozen=True)
class Unsubscribed:
    """What an unsubscribe did: the purpose it stopped, and whether it was new."""

    tenant: str
    message_id: int
    purpose: str
    changed: bool


def by_link(tx: Transaction, secret_key: str, tenant: str, token: str) -> Unsubscribed:
    """Unsubscribe with a one-click link's token; ``InvalidToken`` if it is not genuine
    or names a message of another tenant."""
    message_id = links.read_unsubscribe(secret_key, token)
    return unsubscribe(tx, message_id, ConsentMethod.LINK, tenant=tenant)


def unsubscribe(
    tx: Transaction,
    message_id: int,
    method: ConsentMethod,
    *,
    tenant: str | None = None,
) -> Unsubscribed:
    """Stop the purpose of message ``message_id`` for its recipient (see the module)."""
    try:
        message, digest = rows.addressed(tx, message_id)
    except NotFound:
        raise InvalidToken("the link is not valid") from None
    if tenant is not None and message.tenant != tenant:
        raise InvalidToken("the link is not valid")
    if not message.promotional:
        raise Refused("this message's purpose has no unsubscribe: it is not promotional")
    changed = False
    if digest is not None and not rows.is_suppressed(tx, message.tenant, digest, message.purpose):
        rows.suppress(tx, message.tenant, digest, message.purpose, f"unsubscribed by {method}")
        changed = True
    if message.subject_id is not None:
        changed = _withdraw(tx, message, method) or changed
    return Unsubscribed(message.tenant, message.id, message.purpose, changed)


def _withdraw(tx: Transaction, message: rows.Message, method: ConsentMethod) -> bool:
    """Record the withdrawal, unless the consent is withdrawn already (or the person is
    gone: the suppression list then does the work)."""
    assert message.subject_id is not None
    subject = subjects.get(tx, message.tenant, message.subject_id)
    if subject.status is Status.DELETED:
        return False
    state = tx.connection.execute(
        sa.select(consent_state.c.state).where(
            consent_state.c.subject_id == subject.id,
            consent_state.c.choice == message.purpose,
        )
    ).scalar()
    if state == ConsentState.WITHDRAWN.value:
        return False
    consents.record(
        tx,
        subject,
        message.purpose,
        kind=ConsentKind.WITHDRAWN,
        method=method,
        evidence={"message": message.id, "via": "unsubscribe"},
    )
    return True
