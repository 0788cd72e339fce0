"""Business transfers (PA-22): everyone is told, and may change or deactivate first.

``announce`` records the transfer (to whom, on which date, who announced it) and defers
the ``changes.transfer_notices`` job, which emails every active person with an address
through the outbox (others are told by the posting on the statement page). Each notice
carries the privacy center, to change one's registration information, and a signed
link to deactivate the account, honoured until the transfer date. ``handed_over`` is
who goes to the new owner on that date: the people still active, never the deactivated.
"""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from keepfaith import jobs, messaging
from keepfaith.exceptions import InvalidToken, NotAllowed, Refused
from keepfaith.ledger import changes as pending
from keepfaith.ledger import statements, subjects
from keepfaith.ledger.changes import BusinessTransfer

__all__ = [
    "BusinessTransfer",
    "announce",
    "deactivate",
    "deactivate_token",
    "handed_over",
    "pending",
    "read_token",
]
from keepfaith.ledger.crypto import tokens
from keepfaith.ledger.rows import Status, Subject
from keepfaith.ledger.transaction import Transaction
from keepfaith.settings import Settings

NOTICES = "changes.transfer_notices"
BATCH = 200
_USE = "changes.transfer"
_TOKEN = re.compile(r"^([1-9][0-9]{0,17})-([1-9][0-9]{0,17})-([0-9a-f]{32})$")


def announce(
    tx: Transaction, tenant: str, acquirer: str, transfer_at: dt.datetime
) -> BusinessTransfer:
    """Announce a transfer of the business to ``acquirer`` on ``transfer_at``."""
    statements.current_version(tx, tenant)
    name = acquirer.strip() if isinstance(acquirer, str) else ""
    if not name or len(name) > 255 or "\x00" in name:
        raise Refused("acquirer: the new owner's name, 1 to 255 characters")
    if transfer_at.tzinfo is None or transfer_at <= tx.now():
        raise Refused("transfer_at: a time with its zone, after now, so people can choose")
    done = pending.record_transfer(tx, tenant, name, transfer_at)
    jobs.defer(tx, NOTICES, transfer=done.id)
    return done


def deactivate_token(secret_key: str, transfer_id: int, subject_id: int) -> str:
    """The signed token of one person's deactivation link for one transfer."""
    proof = tokens.keyed_digest(secret_key, _USE, f"{transfer_id}:{subject_id}")[:32]
    return f"{transfer_id}-{subject_id}-{proof}"


def deactivate(tx: Transaction, secret_key: str, tenant: str, token: str) -> Subject:
    """Deactivate the account a notice's link names; refused after the transfer date."""
    transfer_id, subject_id = read_token(secret_key, token)
    done = pending.transfer(tx, transfer_id, tenant)
    if tx.now() >= done.transfer_at:
        raise Refused("the transfer has taken place; ask us to delete your data instead")
    subject = subjects.get(tx, tenant, subject_id)
    return subjects.set_status(tx, subject, Status.DEACTIVATED)


def handed_over(tx: Transaction, transfer_id: int) -> list[int]:
    """The ids of the people whose data goes to the new owner: those still active."""
    done = pending.transfer(tx, transfer_id)
    s = subjects.subjects
    query = sa.select(s.c.id).where(s.c.tenant == done.tenant, s.c.status == Status.ACTIVE.value)
    return [int(i) for i in tx.connection.execute(query.order_by(s.c.id)).scalars()]


@jobs.task(NOTICES, attempts=8)
def transfer_notices(context: jobs.Context, transfer: int) -> None:
    """Email every active person of the tenant their notice, a batch per unit of work."""
    while True:
        with context.ledger.transaction(actor="changes") as tx:
            done = pending.transfer(tx, transfer)
            rule = statements.get(tx, done.tenant).changes
            s = subjects.subjects
            ids = [
                int(i)
                for i in tx.connection.execute(
                    sa.select(s.c.id)
                    .where(
                        s.c.tenant == done.tenant,
                        s.c.id > done.notified_upto,
                        s.c.status == Status.ACTIVE.value,
                    )
                    .order_by(s.c.id)
                    .limit(BATCH)
                ).scalars()
            ]
            if not ids:
                return
            for subject_id in ids:
                if rule.notice_purpose is not None:
                    _notify(tx, context.settings, done, rule.notice_purpose, subject_id)
            pending.transfer_reached(tx, done.id, ids[-1])


def _notify(
    tx: Transaction, settings: Settings, done: BusinessTransfer, purpose: str, subject_id: int
) -> None:
    subject = subjects.get(tx, done.tenant, subject_id)
    base = f"{settings.public_url.rstrip('/')}/t/{done.tenant}"
    link = f"{base}/transfer/{deactivate_token(settings.secret_key, done.id, subject_id)}"
    values = {
        "date": done.transfer_at.date().isoformat(),
        "acquirer": done.acquirer,
        "center_url": f"{base}/privacy-center",
        "deactivate_url": link,
    }
    try:
        messaging.queue(tx, subject, purpose, "transfer_notice", context=values)
    except NotAllowed:
        return  # not to be emailed: told by the posting alone


def read_token(secret_key: str, token: str) -> tuple[int, int]:
    """``(transfer id, subject id)`` of a deactivation link; ``InvalidToken`` if forged."""
    found = _TOKEN.match(token) if isinstance(token, str) else None
    if found is None:
        raise InvalidToken("the link is not valid")
    transfer_id, subject_id = int(found.group(1)), int(found.group(2))
    if not tokens.matches(token, deactivate_token(secret_key, transfer_id, subject_id)):
        raise InvalidToken("the link is not valid")
    return transfer_id, subject_id
