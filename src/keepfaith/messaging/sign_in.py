"""Sign-in to the privacy center by a link sent to the person's address.

``request_link`` takes the address someone typed. If the tenant holds a record of it
(found through ``keepfaith.ledger.lookups``, never by reading addresses), a signed link
to the privacy center goes to that very address through the outbox; if not, nothing is
sent. Either way the caller gets the same answer, so the form tells nobody whether an
address is known. The sending is bounded: ``PER_ADDRESS`` links an hour to one address,
``PER_CLIENT`` requests an hour from one client; past either, nothing more is sent (and
the answer is still the same).
"""

from __future__ import annotations

from dataclasses import dataclass

from keepfaith.collect.links import link_token
from keepfaith.exceptions import NotAllowed, Refused
from keepfaith.ledger import Ledger, lookups, sign_ins, statements
from keepfaith.messaging.addresses import checked, digest
from keepfaith.messaging.outbox import send_to_address
from keepfaith.settings import Settings
from keepfaith.statement import Statement
from keepfaith.translatable import N_

PER_ADDRESS = 3
"""Links sent to one address in an hour, at most."""
PER_CLIENT = 10
"""Requests from one client (IP address) in an hour that may send anything."""
TEMPLATE = "sign_in"
PURPOSES = ("provide_access", "administer_account", "respond_to_requests", "requests")
"""Purposes a sign-in message serves, in order of preference, where declared."""

ANSWER = N_(
    "If we hold that address, a link to your privacy center is on its way to it. "
    "The link works for 30 days; check your spam folder if it does not arrive."
)
"""What everyone who asks is told, known address or not."""


@dataclass(frozen=True)
class Requested:
    """What ``request_link`` did. Only tests and the audit see ``sent`` and ``why``;
    people see ``ANSWER``."""

    sent: bool
    why: str


def request_link(
    ledger: Ledger,
    settings: Settings,
    tenant: str,
    address: object,
    client: str,
    *,
    language: str = "en",
) -> Requested:
    """Send a privacy-center link to ``address`` if it is a person's of ``tenant``.

    ``InvalidSubmission`` (field ``email``) for what is not an email address; otherwise
    the same for every address. ``client`` is the requester's IP address (kept only as a
    keyed digest). ``language`` is the page's: the outbox sends the message in it where
    the tenant or keepfaith has a ``sign_in_<language>`` template, else in English.
    """
    to = checked(address, "email")
    address_digest = digest(settings.secret_key, to)
    client_key = sign_ins.client_digest(settings.secret_key, client)
    with ledger.transaction(actor="privacy-center") as tx:
        by_address, by_client = sign_ins.recent(tx, tenant, address_digest, client_key)
        found = lookups.find(tx, tenant, lookups.Kind.EMAIL, to)
        why = "sent"
        if by_client >= PER_CLIENT:
            why = "too many requests from this client"
        elif by_address >= PER_ADDRESS:
            why = "too many links to this address"
        elif not found:
            why = "no one with this address"
        if why == "sent":
            statement = statements.get(tx, tenant)
            token = link_token(settings.secret_key, tenant, str(found[0]))
            link = f"{settings.public_url.rstrip('/')}/t/{tenant}/privacy-center?token={token}"
            try:
                send_to_address(
                    tx,
                    tenant,
                    to,
                    _purpose(statement),
                    TEMPLATE,
                    context={"link": link},
                    language=language,
                )
            except NotAllowed:
                why = "the statement allows no message to this address"
        sent = why == "sent"
        sign_ins.add(tx, tenant, address_digest, client_key, sent=sent)
        if sent:
            tx.audit("send_sign_in_link", "subject", found[0], tenant=tenant)
    return Requested(sent, why)


def _purpose(statement: Statement) -> str:
    declared = {p.id: p for p in statement.purposes if not p.marketing}
    for name in PURPOSES:
        if name in declared:
            return name
    for purpose in declared.values():
        if purpose.basis.value == "required":
            return purpose.id
    raise Refused(f"{statement.id} declares no purpose to send a sign-in link by email")
