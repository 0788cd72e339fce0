"""Mail in: ``keepfaith mail listen``, a real SMTP listener (aiosmtpd) for replies and bounces.

Mail is matched to the message it answers by the signed token in the address it was
sent to (``reply+<token>@``, ``unsubscribe+<token>@``, ``bounce+<token>@`` of
``mail_domain``) or, failing that, in ``In-Reply-To``/``References`` (the Message-ID
keepfaith gave it); never by its ``From``, which anyone can write. Mail that names no
genuine message is refused (550), and nothing of it is kept.

What a matched mail does (``receive``):

- to the ``unsubscribe+`` address (the ``mailto:`` of ``List-Unsubscribe``), or a reply
  whose subject or first line says "unsubscribe" in one of the statement's languages
  (after any ``Re:``/``AW:``/``Fwd:``, in any case and spacing): the message's purpose is
  unsubscribed (``keepfaith.messaging.unsubscribe``, method ``reply_email``, ES-15);
- to the ``bounce+`` address: a permanent failure (a DSN status 5.x.x, or none given)
  marks the message ``bounced`` and puts the address on the suppression list for every
  purpose; a delay (4.x.x) is only noted;
- any other reply is kept for staff (``keepfaith mail replies``) or forwarded to
  ``mail_forward_to``, as ``mail_replies`` says.

Mail to ``requests+<tenant>@`` of ``mail_domain`` answers no message: it is a person
asking something of the tenant, handed to the ``intake`` the listener was given (the
CLI gives it ``keepfaith.rights.mail_intake.by_mail``: a rights request, verified like
any other by a code sent to the address, so a forged ``From`` opens nothing).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import email.utils
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from keepfaith.exceptions import NotFound, Refused
from keepfaith.ledger import ConsentMethod, Ledger, statements
from keepfaith.ledger import messages as rows
from keepfaith.ledger.messages import EVERY_PURPOSE
from keepfaith.messaging import compose, links, unsubscribe
from keepfaith.settings import Settings

MAX_BYTES = 10 * 1024 * 1024
"""The largest mail the listener takes (replies, not attachments, are its business)."""
KEPT_CHARACTERS = 20_000
"""How much of a reply's text is kept for staff."""

WORDS: dict[str, tuple[str, ...]] = {
    "en": ("unsubscribe", "unsubscribe me", "remove me", "stop"),
    "de": ("abmelden", "abbestellen", "austragen", "abmeldung"),
    "fr": ("desabonner", "se desabonner", "desinscrire", "me desinscrire", "desabonnement"),
    "es": ("baja", "darse de baja", "darme de baja", "cancelar suscripcion"),
    "it": ("disiscrivi", "disiscrivimi", "annulla iscrizione", "cancellami"),
    "pt": ("descadastrar", "cancelar inscricao", "cancelar assinatura", "sair da lista"),
    "nl": ("afmelden", "uitschrijven"),
    "sv": ("avregistrera", "avsluta prenumeration"),
    "da": ("afmeld", "frameld"),
    "pl": ("wypisz", "wypisz mnie", "rezygnuje"),
}
"""What "unsubscribe" is, by language (lower case, no accents); English is always read."""
_PREFIX = re.compile(
    r"^\s*(?:(?:re|aw|sv|vs|antw|antwort|wg|fw|fwd|tr|rif|r|ref|odp|res)\s*(?:\[\d+\])?\s*[:：]\s*)+",
    re.IGNORECASE,
)
_PUNCTUATION = re.compile(r"[^\w\s]+")
_DSN_STATUS = re.compile(r"^status:\s*([245])\.\d{1,3}\.\d{1,3}", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Received:
    """What the listener did with one mail: ``kind`` (unsubscribe, bounce, delayed, kept,
    forwarded) and the message it answered, or a refusal (``kind`` refused)."""

    kind: str
    message_id: int | None
    answer: str


def normalised(text: str) -> str:
    """``text`` as compared with the words: no ``Re:``, accents, punctuation, case or
    extra spacing."""
    text = _PREFIX.sub("", unicodedata.normalize("NFKC", text))
    bare = "".join(
        c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c)
    )
    return " ".join(_PUNCTUATION.sub(" ", bare).split())


def says_unsubscribe(text: str, languages: Iterable[str]) -> bool:
    """Whether a subject or a first line says "unsubscribe" in English or ``languages``."""
    wanted = {"en", *(tag.split("-")[0].lower() for tag in languages)}
    said = normalised(text)
    if not said:
        return False
    for language in wanted:
        for word in WORDS.get(language, ()):
            if said == word or said in (f"{word} please", f"please {word}", f"{word} bitte"):
                return True
    return False


def first_line(mail: EmailMessage) -> str:
    """The first line of the reply's own text (quoted lines and blank ones skipped)."""
    try:
        body = mail.get_body(("plain", "html"))
        content = str(body.get_content()) if body is not None else ""
    except (LookupError, KeyError, ValueError, AttributeError):
        return ""
    if body is not None and body.get_content_subtype() == "html":
        content = re.sub(r"<[^>]*>", "\n", content)
    for line in content.splitlines():
        if line.strip() and not line.lstrip().startswith(">"):
            return line[:500]
    return ""


def parse(data: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def match(
    settings: Settings, recipients: Iterable[str], mail: EmailMessage
) -> tuple[str, int] | None:
    """``(use, message id)`` the mail answers, from a genuine token only."""
    domain, secret = compose.domain_of(settings), settings.secret_key
    for recipient in recipients:
        found = links.read_address(secret, recipient, domain)
        if found is not None:
            return found
    for header in ("In-Reply-To", "References"):
        try:
            value = str(mail.get(header, "") or "")
        except (ValueError, TypeError):
            continue
        ids = links.read_message_ids(secret, value, domain)
        if ids:
            return "reply", ids[0]
    return None


Intake = Callable[[Ledger, Settings, str, EmailMessage], Received]
"""What takes mail to ``requests+<tenant>@``: ``intake(ledger, settings, tenant, mail)``."""
REQUESTS = "requests+"
"""The local part's prefix of the address people write to with a request."""


def receive(
    ledger: Ledger,
    settings: Settings,
    recipients: Iterable[str],
    data: bytes,
    intake: Intake | None = None,
) -> Received:
    """Act on one mail the listener accepted the recipients of (see the module)."""
    mail = parse(data)
    recipients = list(recipients)
    found = match(settings, recipients, mail)
    tenant = requested_of(recipients)
    if found is None and tenant is not None and intake is not None:
        return intake(ledger, settings, tenant, mail)
    if found is None:
        return Received("refused", None, "550 5.1.1 no such message here")
    use, message_id = found
    with ledger.transaction(actor="mail listen") as tx:
        try:
            message, digest = rows.addressed(tx, message_id)
        except NotFound:  # a token of a message since removed
            return Received("refused", None, "550 5.1.1 no such message here")
        if use == "bounce":
            return _bounce(tx, message, digest, data)
        statement = statements.get(tx, message.tenant, message.statement_version)
        subject = header(mail, "Subject")
        wants_out = (
            use == "unsubscribe"
            or says_unsubscribe(subject, statement.languages)
            or says_unsubscribe(first_line(mail), statement.languages)
        )
        if wants_out and message.promotional:
            unsubscribe.unsubscribe(tx, message.id, ConsentMethod.REPLY_EMAIL)
            rows.add_reply(tx, message.tenant, message.id, message.subject_id, "unsubscribe")
            return Received("unsubscribe", message.id, "250 OK: unsubscribed")
        if settings.mail_replies == "forward" and settings.mail_forward_to:
            rows.add_reply(tx, message.tenant, message.id, message.subject_id, "forwarded")
            kind = "forwarded"
        else:
            text = kept_text(subject, mail)
            rows.add_reply(tx, message.tenant, message.id, message.subject_id, "kept", text)
            kind = "kept"
    if kind == "forwarded":
        _forward(settings, data)
    return Received(kind, message.id, "250 OK")


def requested_of(recipients: Iterable[str]) -> str | None:
    """The tenant of the first ``requests+<tenant>@`` recipient, if any."""
    for recipient in recipients:
        local = recipient.rpartition("@")[0]
        if local[: len(REQUESTS)].lower() == REQUESTS and len(local) > len(REQUESTS):
            return local[len(REQUESTS) :]
    return None


def sender(mail: EmailMessage) -> str:
    """The address in the mail's ``From`` (empty when there is none to read)."""
    return email.utils.parseaddr(header(mail, "From"))[1]


def _bounce(tx: Any, message: rows.Message, digest: str | None, data: bytes) -> Received:
    status = _DSN_STATUS.search(data.decode("utf-8", "replace"))
    if status is not None and status.group(1) == "4":
        rows.add_reply(tx, message.tenant, message.id, message.subject_id, "delayed")
        return Received("delayed", message.id, "250 OK")
    rows.mark_bounced(tx, message.id, "the mailbox returned the message (a bounce)")
    if digest is not None:
        rows.suppress(tx, message.tenant, digest, EVERY_PURPOSE, "the address bounced")
    rows.add_reply(tx, message.tenant, message.id, message.subject_id, "bounce")
    return Received("bounce", message.id, "250 OK")


def header(mail: EmailMessage, name: str) -> str:
    """A header's text, or empty when it is absent or cannot be read."""
    try:
        return str(mail.get(name, "") or "")
    except (ValueError, TypeError):
        return ""


def kept_text(subject: str, mail: EmailMessage) -> str:
    """The subject and the plain text of a mail, without NUL bytes, bounded."""
    try:
        body = mail.get_body(("plain",))
        content = str(body.get_content()) if body is not None else ""
    except (LookupError, KeyError, ValueError, AttributeError):
        content = ""
    text = f"Subject: {subject}\n\n{content}".replace("\x00", "")
    return text[:KEPT_CHARACTERS]


def _forward(settings: Settings, data: bytes) -> None:
    """Hand the reply, unchanged, to ``mail_forward_to`` through the relay."""
    from keepfaith.messaging.smtp import send_once

    sender = compose.domain_of(settings)
    envelope = compose.Envelope(f"postmaster@{sender}", settings.mail_forward_to, data)
    try:
        asyncio.run(send_once(settings, envelope))
    except Exception as error:
        raise Refused(f"the reply could not be forwarded: {type(error).__name__}") from None


# --------------------------------------------------------------------------- the server


class Handler:
    """aiosmtpd's handler: recipients of ``mail_domain`` only; each mail to ``receive``."""

    def __init__(self, ledger: Ledger, settings: Settings, intake: Intake | None = None) -> None:
        self.ledger, self.settings, self.intake = ledger, settings, intake
        self.domain = compose.domain_of(settings).lower()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address.rpartition("@")[2].lower() != self.domain:
            return "550 5.7.1 relaying denied"
        if len(envelope.rcpt_tos) >= 10:
            return "452 4.5.3 too many recipients"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data = envelope.original_content or envelope.content
        if not isinstance(data, bytes):
            data = str(data).encode("utf-8", "surrogateescape")
        try:
            done = await asyncio.to_thread(
                receive, self.ledger, self.settings, list(envelope.rcpt_tos), data, self.intake
            )
        except Refused:
            return "451 4.3.0 try again later"
        return done.answer


def server(ledger: Ledger, settings: Settings, intake: Intake | None = None) -> Any:
    """An aiosmtpd SMTP protocol factory for ``loop.create_server``."""
    from aiosmtpd.smtp import SMTP

    handler = Handler(ledger, settings, intake)
    domain = compose.domain_of(settings)
    return lambda: SMTP(handler, hostname=domain, data_size_limit=MAX_BYTES, enable_SMTPUTF8=True)


async def listen(
    ledger: Ledger,
    settings: Settings,
    host: str,
    port: int,
    ready: Any = None,
    intake: Intake | None = None,
) -> None:
    """Serve SMTP on ``host:port`` until cancelled; ``ready(port)`` once listening."""
    loop = asyncio.get_running_loop()
    running = await loop.create_server(server(ledger, settings, intake), host, port)
    if ready is not None:
        ready(running.sockets[0].getsockname()[1])
    async with running:
        await running.serve_forever()
