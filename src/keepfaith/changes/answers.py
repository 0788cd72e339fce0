"""A person's answer to a change: accept it, refuse it, or close the account instead.

The answer comes from the privacy center (the person is signed in) or from the signed
link in the notice (``link_token``: the change's id with an HMAC made for that use by
``keepfaith.ledger.crypto.tokens``, the one home of signing). Accepting applies the new
version from the answer (PA-32); refusing moves the person to the new version but keeps
each use the change altered on the terms they had, so their data is not used the new
way (ES-17) while the rest of the new terms apply; closing deactivates the account.
"""

from __future__ import annotations

import datetime as dt
import re

from keepfaith.engine.engine import new_uses
from keepfaith.exceptions import InvalidToken, Refused
from keepfaith.ledger import changes as pending
from keepfaith.ledger import consents, statements, subjects
from keepfaith.ledger.changes import Answer, VersionChange
from keepfaith.ledger.crypto import tokens
from keepfaith.ledger.rows import ConsentKind, ConsentMethod, Status, Subject
from keepfaith.ledger.transaction import Transaction
from keepfaith.statement.diff import Change, diff

__all__ = [
    "Refused",
    "answer",
    "answer_by_link",
    "changes_since",
    "link_token",
    "open_change",
    "pending",
    "read_token",
    "record_told",
]

_USE = "changes.answer"
_TOKEN = re.compile(r"^([1-9][0-9]{0,17})-([0-9a-f]{32})$")


def link_token(secret_key: str, change_id: int) -> str:
    """``<change id>-<proof>``: the token a notice's links carry."""
    return f"{change_id}-{tokens.keyed_digest(secret_key, _USE, str(change_id))[:32]}"


def read_token(secret_key: str, token: str) -> int:
    """The change id a link's token names; ``InvalidToken`` if forged or altered."""
    found = _TOKEN.match(token) if isinstance(token, str) else None
    if found is None or not tokens.matches(token, link_token(secret_key, int(found.group(1)))):
        raise InvalidToken("the link is not valid")
    return int(found.group(1))


def answer(tx: Transaction, tenant: str, change_id: int, given: Answer | str) -> VersionChange:
    """Record the person's answer to their pending change, and act on it now."""
    choice = Answer(given) if given in {a.value for a in Answer} else None
    if choice is None:
        raise Refused(f"an answer is one of {', '.join(a.value for a in Answer)}")
    change = pending.get(tx, change_id, tenant)
    if choice is Answer.REFUSED and change.due_at is not None and change.due_at <= tx.now():
        raise Refused("this change already applies; you may still close your account")
    done = pending.answer(tx, change, choice)
    subject = subjects.get(tx, tenant, change.subject_id)
    if choice is Answer.ACCEPTED:
        moved = subjects.set_statement_version(tx, subject, change.to_version)
        # Accepting is the choice PA-32 and ES-17 offer: yes to each new use.
        record_told(tx, moved, change, ConsentKind.GIVEN)
    elif choice is Answer.REFUSED:
        # On the new terms for everything the change left alone; the uses it altered
        # stay on the old ones (the snapshot's ``refused``, read by the engine).
        subjects.set_statement_version(tx, subject, change.to_version)
    elif choice is Answer.CLOSED:
        subjects.set_status(tx, subject, Status.DEACTIVATED)
    return done


def answer_by_link(
    tx: Transaction, secret_key: str, tenant: str, token: str, given: Answer | str
) -> VersionChange:
    """``answer`` for the change a notice's signed link names."""
    return answer(tx, tenant, read_token(secret_key, token), given)


def open_change(tx: Transaction, tenant: str, subject_id: int) -> VersionChange | None:
    """The person's change still waiting for an answer, if any."""
    subjects.get(tx, tenant, subject_id)
    return pending.open_of_subject(tx, subject_id)


def changes_since(tx: Transaction, tenant: str, version: str) -> list[Change]:
    """Every change from ``version`` (the one a person accepted) to the tenant's current
    version, material first: what the privacy center shows them."""
    current = statements.current_version(tx, tenant)
    if current == version:
        return []
    found = diff(statements.get(tx, tenant, version), statements.get(tx, tenant, current))
    return sorted(found, key=lambda change: not change.material)


def record_told(
    tx: Transaction,
    subject: Subject,
    change: VersionChange,
    kind: ConsentKind,
    at: dt.datetime | None = None,
) -> None:
    """Record, for each new use of the change, that the person accepted it (``given``)
    or was told of it (``notified``: an opt-out use then applies unless they object)."""
    old = statements.get(tx, change.tenant, change.from_version)
    new = statements.get(tx, change.tenant, change.to_version)
    method = ConsentMethod.LINK if kind is ConsentKind.GIVEN else ConsentMethod.DEFAULT
    for purpose in new_uses(old, new):
        consents.record(
            tx,
            subject,
            purpose,
            kind=kind,
            method=method,
            evidence={"change": change.id, "version": change.to_version},
            at=at,
        )
