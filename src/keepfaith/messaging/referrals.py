"""Addresses given by someone else: "email this page" (PA-10) and referrals (EZ-03).

``email_page`` sends one message to a friend's address from a single-use collection
point and keeps nothing of it: the address and the sender's name stay in memory, the
outbox row records only the decision, the purpose, the template and the relay's answer
(not even a keyed hash), and no job is written (a job's arguments are stored). So the
message is tried once, now; if the relay cannot take it, it fails and is not retried.

``refer`` keeps the friend, as the statement says a referral point does, with the one
purpose it declares: a subject of the point's kind with the name and address given, one
message (the invitation, with a link to have it all removed) and a ``referrals`` row
that counts for the programme. ``remove`` is that link: the friend's records go, the
row keeps only that a referral happened, and the address's keyed hash goes on the
suppression list so that nobody can refer them again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from keepfaith.exceptions import InvalidSubmission, InvalidToken, NotFound, Refused
from keepfaith.ledger import Ledger, Status, Subject, Transaction, records, statements, subjects
from keepfaith.ledger import messages as rows
from keepfaith.ledger.messages import EVERY_PURPOSE, referrals
from keepfaith.messaging import addresses, links
from keepfaith.messaging.delivery import Selection, deliver
from keepfaith.messaging.outbox import EMAIL, NAME, decide_for_address, engine_for, queue
from keepfaith.settings import Settings
from keepfaith.statement import Statement
from keepfaith.statement.schema import CollectionPoint

LONG = 32


@dataclass(frozen=True)
class Referral:
    """A referral: the friend (until removed), who referred them, their one message."""

    id: int
    tenant: str
    subject_id: int | None
    referrer_id: int | None
    message_id: int | None
    removed: bool


def _point(statement: Statement, point_id: str) -> CollectionPoint:
    for point in statement.collection_points:
        if point.id == point_id:
            return point
    raise NotFound(f"{statement.id} declares no collection point {point_id!r}")


def _text(value: object, field: str, limit: int = 100) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidSubmission({field: "is required"})
    text = " ".join(value.split())
    if len(text) > limit or any(ord(c) < 32 or c == "\x7f" for c in text):
        raise InvalidSubmission({field: f"must be one line of at most {limit} characters"})
    return text


# --------------------------------------------------------------------------- email this page


def email_page(
    ledger: Ledger,
    settings: Settings,
    tenant: str,
    point_id: str,
    *,
    friend: str,
    sender: str,
    page_url: str,
    language: str | None = None,
) -> rows.Message:
    """Send the page at ``page_url`` to ``friend`` from single-use point ``point_id``,
    keeping no copy of the address or the sender's name (see the module); in the
    sender's page ``language`` where the statement declares it."""
    to = addresses.checked(friend, "friend_email")
    name = _text(sender, "your_name")
    page = _page(settings, page_url)
    engine = engine_for(ledger)
    with ledger.transaction(actor="email this page") as tx:
        statement = statements.get(tx, tenant)
        point = _point(statement, point_id)
        if not point.single_use or len(point.purposes) != 1:
            raise Refused(f"{point_id} is not a single-use point with one purpose")
        purpose = statement.purpose(point.purposes[0])
        decision = decide_for_address(engine, statement, purpose).require()
        message = rows.add(
            tx,
            tenant=tenant,
            subject_id=None,
            purpose=purpose.id,
            template="email_this_page",
            statement_version=statement.version,
            promotional=False,
            reason=decision.reason,
            clauses=list(decision.clauses),
            language=subjects.spoken(statement, language),
        )
    given = {message.id: (to, {"sender": name, "page_url": page})}
    deliver(ledger, settings, Selection((message.id,)), engine=engine, given=given)
    with ledger.reading() as tx:
        return rows.get(tx, message.id)


def _page(settings: Settings, page_url: str) -> str:
    """A page of this service's own site: an absolute path, or a URL under ``public_url``."""
    wrong = InvalidSubmission({"page_url": "must be a link to a page of this site"})
    if not isinstance(page_url, str) or len(page_url) > 2000:
        raise wrong
    base = settings.public_url.rstrip("/")
    if page_url.startswith("/") and not page_url.startswith("//"):
        page_url = base + page_url
    if not page_url.startswith(base + "/") or any(c.isspace() or ord(c) < 32 for c in page_url):
        raise wrong
    return page_url


# --------------------------------------------------------------------------- referrals


def refer(
    tx: Transaction,
    settings: Settings,
    tenant: str,
    point_id: str,
    *,
    friend: str,
    friend_name: str,
    referrer: Subject | None = None,
    referrer_name: str,
    language: str | None = None,
) -> Referral:
    """Keep a referred friend and queue their one invitation (EZ-03), in the referrer's
    page ``language`` (else the referrer's own stored language): the friend is kept
    with it, so what they are sent later is in it too.

    A friend referred before gets no second message (the referral they have is
    returned); a friend who had themselves removed gets none and is not kept.
    """
    to = addresses.checked(friend, "friend_email")
    named, by = _text(friend_name, "friend_name"), _text(referrer_name, "referrer_name")
    statement = statements.get(tx, tenant)
    point = _point(statement, point_id)
    if len(point.purposes) != 1 or len(point.subjects) != 1:
        raise Refused(f"{point_id} must declare one purpose and one kind of person")
    digest = addresses.digest(settings.secret_key, to)
    known = tx.connection.execute(
        sa.select(referrals).where(referrals.c.tenant == tenant, referrals.c.digest == digest)
    ).first()
    if known is not None:
        return _referral(known)
    if rows.suppressed(tx.connection, tenant, [digest], point.purposes[0]):
        raise Refused("this address cannot be referred")
    person = subjects.add(tx, tenant, point.subjects[0])
    records.add(tx, person, EMAIL, to, collection_point=point.id)
    records.add(tx, person, NAME, named, collection_point=point.id)
    if language is None and referrer is not None:
        language = subjects.get(tx, tenant, referrer.id).language
    if language is not None:
        person = subjects.set_language(tx, person, language)
    referral_id = int(
        tx.connection.execute(
            referrals.insert()
            .values(
                tenant=tenant,
                digest=digest,
                subject_id=person.id,
                referrer_id=referrer.id if referrer else None,
                point=point.id,
                created_at=tx.now(),
            )
            .returning(referrals.c.id)
        ).scalar_one()
    )
    context: dict[str, Any] = {
        "referrer": by,
        "website": statement.organisation.website,
        "removal_url": removal_url(settings, tenant, referral_id),
    }
    message = queue(tx, person, point.purposes[0], "referral", context=context)
    tx.connection.execute(
        referrals.update().where(referrals.c.id == referral_id).values(message_id=message.id)
    )
    tx.audit("refer", "referral", referral_id, tenant=tenant, details={"point": point.id})
    referrer_id = referrer.id if referrer else None
    return Referral(referral_id, tenant, person.id, referrer_id, message.id, False)


def removal_url(settings: Settings, tenant: str, referral_id: int) -> str:
    """The link in a referral's message that removes the friend (EZ-03)."""
    token = links.token(settings.secret_key, "referral", referral_id, LONG)
    return f"{settings.public_url.rstrip('/')}/t/{tenant}/referrals/{token}"


def read_removal(settings: Settings, token: str) -> int:
    return links.read(settings.secret_key, "referral", token, LONG)


def remove(tx: Transaction, settings: Settings, tenant: str, token: str) -> Referral:
    """The friend's request, from the link in their message: their records and link to
    the referral go, their address's keyed hash is suppressed; idempotent."""
    referral_id = read_removal(settings, token)
    row = tx.connection.execute(
        sa.select(referrals).where(referrals.c.id == referral_id, referrals.c.tenant == tenant)
    ).first()
    if row is None:
        raise InvalidToken("the link is not valid")
    if row.removed_at is not None:
        return _referral(row)
    if row.digest is not None:
        rows.suppress(tx, tenant, row.digest, EVERY_PURPOSE, "the referred friend asked")
    if row.subject_id is not None:
        person = subjects.get(tx, tenant, row.subject_id)
        records.delete(tx, person)
        rows.forget_subject(tx, tenant, person.id)
        subjects.set_status(tx, person, Status.DELETED)
    tx.connection.execute(
        referrals.update()
        .where(referrals.c.id == referral_id)
        .values(digest=None, subject_id=None, removed_at=tx.now())
    )
    tx.audit("remove", "referral", referral_id, tenant=tenant)
    return Referral(referral_id, tenant, None, row.referrer_id, row.message_id, True)


def programme(tx: Transaction, tenant: str) -> dict[str, int]:
    """How the referral programme did: friends referred, invitations sent, removals."""
    r, m = referrals, rows.messages
    referred, removed = tx.connection.execute(
        sa.select(sa.func.count(), sa.func.count(r.c.removed_at)).where(r.c.tenant == tenant)
    ).one()
    sent = tx.connection.execute(
        sa.select(sa.func.count())
        .select_from(r.join(m, m.c.id == r.c.message_id))
        .where(r.c.tenant == tenant, m.c.status == "sent")
    ).scalar_one()
    return {"referred": int(referred), "sent": int(sent), "removed": int(removed)}


def _referral(row: Any) -> Referral:
    return Referral(
        row.id,
        row.tenant,
        row.subject_id,
        row.referrer_id,
        row.message_id,
        row.removed_at is not None,
    )


__all__ = ["Referral", "email_page", "programme", "refer", "removal_url", "remove"]
