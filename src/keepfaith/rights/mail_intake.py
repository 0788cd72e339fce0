"""Requests by email: a person writes to ``requests+<tenant>@`` of ``mail_domain`` and
says in the subject (or the first line) what they ask: "access", "delete my data",
"correct", "do you hold data about me"... or "complaint".

The request is opened like any other (``keepfaith.rights.open``, channel ``email``) for
the address in ``From``, and verified the same way: the code goes to that address, so
someone who forged the ``From`` opens a request they cannot verify, and nothing runs. A
mail that names no kind the statement offers is refused in the SMTP answer with the
kinds it does offer, so the sender's own mail server tells them; nothing is kept.

A complaint (ES-19) is taken as the privacy center takes it, with the mail's text; its
acknowledgement goes to the ``From`` address, and its clock starts at once.

The case is answered in the mail's language where it says one (``Content-Language``)
that the statement declares, else in the tenant's first language.
"""

from __future__ import annotations

from email.message import EmailMessage

from keepfaith.exceptions import InvalidSubmission, NotFound
from keepfaith.ledger import Ledger, Transaction, statements
from keepfaith.ledger.cases import Case, Kind
from keepfaith.messaging.listen import (
    Received,
    first_line,
    header,
    kept_text,
    normalised,
    sender,
)
from keepfaith.rights.cases import offered
from keepfaith.rights.cases import open as open_case
from keepfaith.rights.complaints import open_complaint
from keepfaith.settings import Settings

WORDS: dict[Kind, tuple[str, ...]] = {
    Kind.COMPLAINT: ("complaint", "complain", "i want to complain"),
    Kind.KNOW: ("do you hold", "do you have data", "what do you hold", "know"),
    Kind.PORTABILITY: ("portability", "export", "machine readable"),
    Kind.DISCONTINUE: ("discontinue", "close my account and return"),
    Kind.CORRECT: ("correct", "correction", "rectify", "rectification", "update my data"),
    Kind.DELETE: ("delete", "deletion", "erase", "erasure", "forget me", "remove my data"),
    Kind.ACCESS: ("access", "copy of my data", "subject access", "my data"),
}
"""How people name each kind (lower case, no accents), the most specific first: "copy
of my data" is access, but "remove my data" was already read as a deletion."""


def kind_named(text: str) -> Kind | None:
    """The kind of request ``text`` names, or ``None``."""
    words = f" {normalised(text)} "
    for kind, names in WORDS.items():
        if any(f" {name} " in words for name in names):
            return kind
    return None


def by_mail(ledger: Ledger, settings: Settings, tenant: str, mail: EmailMessage) -> Received:
    """Open the request or take the complaint ``mail`` asks for (see the module); the
    SMTP answer."""
    with ledger.transaction(actor="mail listen") as tx:
        try:
            statement = statements.get(tx, tenant)
        except NotFound:
            return Received("refused", None, "550 5.1.1 no such mailbox here")
        subject = header(mail, "Subject")
        kind = kind_named(subject) or kind_named(first_line(mail))
        kinds = [k.value for k in offered(statement)]
        if statement.complaints is not None:
            kinds.append(Kind.COMPLAINT.value)
        if kind is None or kind.value not in kinds:
            return Received("refused", None, f"550 5.6.0 say which request: {', '.join(kinds)}")
        try:
            case = _take(tx, settings, tenant, kind, mail)
        except InvalidSubmission:
            return Received("refused", None, "550 5.1.7 no address to answer in From")
    return Received(kind.value, None, f"250 OK: {kind.value} {case.id} received")


def _take(tx: Transaction, settings: Settings, tenant: str, kind: Kind, mail: EmailMessage) -> Case:
    language = language_of(mail)
    if kind is Kind.COMPLAINT:
        text = kept_text(header(mail, "Subject"), mail)
        return open_complaint(
            tx, settings, tenant, sender(mail), text, channel="email", language=language
        )
    return open_case(
        tx, settings, tenant, kind.value, sender(mail), channel="email", language=language
    ).case


def language_of(mail: EmailMessage) -> str | None:
    """The first language the mail's ``Content-Language`` names (RFC 3282), if any;
    whether the statement declares it is for the case to see."""
    said = header(mail, "Content-Language").split(",")[0].strip()
    return said or None
