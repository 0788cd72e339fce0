"""Consent receipts in the Kantara Initiative Consent Receipt v1.1 JSON form.

A receipt is the person's copy of one consent transaction: who the controller is, what
was agreed to, when, how, and under which statement. keepfaith issues one receipt per
consent event that gives or withdraws a choice, built from the event and the statement
version in force; the same function serves the person (privacy center) and staff (admin).

Field names and types follow the specification (``KI-CR-v1.1.0``): ``consentTimestamp``
is whole seconds since the epoch, ``piiPrincipalId`` is the ledger's subject id (never
an email address), ``services`` lists the purposes with their categories. A withdrawal
is issued as a receipt whose ``termination`` says when the consent ended, since v1.1
has no field of its own for it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from keepfaith.engine.compile import third_party
from keepfaith.ledger.rows import ConsentEvent, ConsentKind, ConsentMethod
from keepfaith.statement.schema import Basis, Purpose, Statement

VERSION = "KI-CR-v1.1.0"

# Kantara v1.1 Appendix: purpose categories.
_CORE = "Core Function"
_MARKETING = "Marketing"
_MARKETING_THIRD = "Marketing Third Parties"
_SHARING_MARKETING = "Sharing for Marketing Purposes"
_PERSONALISED = "Personalized Experience"
_LEGAL = "Legally Required Data Retention"

_METHODS = {
    ConsentMethod.EXPLICIT: "web form: explicit action (unticked checkbox or button)",
    ConsentMethod.REPLY_EMAIL: "email reply",
    ConsentMethod.LINK: "link in a message",
    ConsentMethod.GPC: "Global Privacy Control signal",
    ConsentMethod.STAFF: "recorded by staff on the person's request",
    ConsentMethod.DEFAULT: "default value shown (not consent)",
}

_NAMESPACE = uuid.UUID("6f1c1f0e-5b7c-4d8e-9a55-0b8c1b7a4f21")
"""Receipt ids are derived from tenant and event id, so the same event always yields the
same receipt id (a download repeated is the same receipt)."""


def receipt(
    statement: Statement,
    event: ConsentEvent,
    *,
    policy_url: str,
    jurisdiction: str = "US",
    language: str = "en",
) -> dict[str, Any]:
    """The Kantara v1.1 receipt for one consent event."""
    return {
        "version": VERSION,
        "jurisdiction": jurisdiction,
        "consentTimestamp": int(event.at.timestamp()),
        "collectionMethod": _METHODS[ConsentMethod(event.method)],
        "consentReceiptID": str(uuid.uuid5(_NAMESPACE, f"{event.tenant}:{event.id}")),
        "language": language,
        "piiPrincipalId": str(event.subject_id),
        "piiControllers": [_controller(statement)],
        "policyUrl": policy_url,
        "services": [
            {
                "service": statement.title or statement.organisation.name,
                "purposes": [_purpose(statement, event)],
            }
        ],
        "sensitive": _sensitive(statement, event.choice),
        "spiCat": _sensitive_categories(statement, event.choice),
    }


def receipts(
    statement: Statement,
    events: Iterable[ConsentEvent],
    *,
    policy_url: str,
    jurisdiction: str = "US",
    language: str = "en",
) -> list[dict[str, Any]]:
    """Receipts for every event that gave or withdrew a choice, oldest first.

    Notices (``notified``) and defaults that do not count are not consent and get none.
    """
    return [
        receipt(statement, e, policy_url=policy_url, jurisdiction=jurisdiction, language=language)
        for e in sorted(events, key=lambda e: (e.at, e.id))
        if e.counts and e.kind is not ConsentKind.NOTIFIED
    ]


def _controller(statement: Statement) -> dict[str, Any]:
    organisation = statement.organisation
    privacy = next((c for c in organisation.contacts if c.role == "privacy"), None)
    contact = privacy or organisation.contacts[0]
    controller: dict[str, Any] = {
        "piiController": organisation.name,
        "onBehalf": False,
        "contact": contact.name or organisation.name,
        "address": {"streetAddress": contact.address or organisation.address or ""},
        "email": contact.email or "",
        "phone": contact.phone or "",
    }
    if organisation.website:
        controller["piiControllerUrl"] = organisation.website
    return controller


def _declared_purpose(statement: Statement, choice: str) -> Purpose | None:
    return next((p for p in statement.purposes if p.id == choice), None)


def _purpose(statement: Statement, event: ConsentEvent) -> dict[str, Any]:
    declared = _declared_purpose(statement, event.choice)
    given = event.kind in (ConsentKind.GIVEN, ConsentKind.REAFFIRMED)
    withdrawn_at = event.at.isoformat(timespec="seconds")
    termination = (
        "until withdrawn in the privacy center or by the means the statement lists"
        if given
        else f"withdrawn on {withdrawn_at}"
    )
    if declared is None:  # a cookie category or recipient choice, not a purpose
        return {
            "purpose": event.choice,
            "purposeCategory": [_PERSONALISED],
            "consentType": "EXPLICIT" if event.method == ConsentMethod.EXPLICIT else "IMPLICIT",
            "piiCategory": [],
            "primaryPurpose": False,
            "termination": termination,
            "thirdPartyDisclosure": False,
        }
    recipients = [r for r in statement.recipients if declared.id in r.purposes]
    third = [r for r in recipients if third_party(r.kind)]
    entry: dict[str, Any] = {
        "purpose": declared.name,
        "purposeCategory": [_category(declared)],
        "consentType": "EXPLICIT" if event.method == ConsentMethod.EXPLICIT else "IMPLICIT",
        "piiCategory": list(declared.categories),
        "primaryPurpose": declared.basis is Basis.REQUIRED,
        "termination": termination,
        "thirdPartyDisclosure": bool(third),
    }
    if third:
        entry["thirdPartyName"] = ", ".join(r.name for r in third)
    return entry


def _category(purpose: Purpose) -> str:
    if purpose.basis is Basis.LEGAL:
        return _LEGAL
    if purpose.sale:
        return _SHARING_MARKETING
    if purpose.advertising:
        return _MARKETING_THIRD
    if purpose.marketing:
        return _MARKETING
    if purpose.basis is Basis.REQUIRED:
        return _CORE
    return _PERSONALISED


def _sensitive_categories(statement: Statement, choice: str) -> list[str]:
    declared = _declared_purpose(statement, choice)
    if declared is None:
        return []
    sensitive = {c.id for c in statement.categories if c.sensitive}
    return [c for c in declared.categories if c in sensitive]


def _sensitive(statement: Statement, choice: str) -> bool:
    return bool(_sensitive_categories(statement, choice))
