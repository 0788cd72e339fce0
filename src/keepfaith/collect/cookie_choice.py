"""Recording a visitor's cookie choice, with a receipt.

The banner posts which optional cookie categories the visitor accepted. Each purpose
behind an optional category gets one consent event: ``given`` when every category that
serves it was accepted, ``withdrawn`` otherwise. Under Global Privacy Control the
categories the statement counts as advertising or sale are refused whatever was clicked,
and their events carry the method ``gpc``. Necessary cookies are not a choice and get no
event.

Who the visitor is: a ledger subject of the statement's visitor kind (``visitor`` when
declared, else the first kind a cookie collection point names), created on the first
choice and found again by its reference ``cookie-visitor:<random id>``. The browser
keeps only the visitor identifier: that random id signed with ``Settings.secret_key``
(``keepfaith.ledger.crypto.tokens``), for one tenant. It carries no personal data
(PA-14); an altered or forged identifier is refused and nothing is stored.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from keepfaith.collect.consent import record_gpc
from keepfaith.collect.cookies import (
    cookie_section_version,
    gpc_categories,
    optional_categories,
)
from keepfaith.collect.receipts import receipts
from keepfaith.exceptions import ConfigurationError, InvalidSubmission, InvalidToken, NotFound
from keepfaith.ledger import (
    ConsentEvent,
    ConsentKind,
    ConsentMethod,
    Ledger,
    Subject,
    Transaction,
    consents,
    subjects,
)
from keepfaith.ledger.crypto import tokens
from keepfaith.statement.schema import CollectionKind, CookieCategory, Statement

REFERENCE_PREFIX = "cookie-visitor:"
"""Subjects made for cookie visitors carry ``reference = REFERENCE_PREFIX + random id``."""

_PURPOSE = "cookie-visitor"
_RECEIPT_NAMESPACE = uuid.UUID("0d6b8a57-3c2e-4f4e-9d1e-6c1f3a9b7e55")


@dataclass(frozen=True)
class CookieChoice:
    """What recording a choice stored, and the visitor's copy of it."""

    visitor: str | None
    """The signed visitor identifier for the browser to keep; ``None`` when the statement
    declares no optional cookie, so nothing was stored."""
    subject_id: int | None
    accepted: tuple[str, ...]
    """Optional categories now on (after Global Privacy Control)."""
    refused: tuple[str, ...]
    events: tuple[ConsentEvent, ...]
    receipt: dict[str, Any] | None
    """One Kantara v1.1 receipt for the whole choice (every purpose it covers)."""
    receipts: tuple[dict[str, Any], ...] = field(default=())
    """The receipt of each consent event, as the privacy center lists them."""

    @property
    def receipt_id(self) -> str | None:
        return None if self.receipt is None else str(self.receipt["consentReceiptID"])


def read_visitor(secret_key: str, tenant: str, visitor: str) -> str:
    """The random id inside a visitor identifier; ``InvalidSubmission`` if it was altered,
    forged, or signed for another tenant."""
    try:
        return tokens.unsign(secret_key, f"{_PURPOSE}:{tenant}", visitor)
    except InvalidToken:
        raise InvalidSubmission({"visitor": "not a valid visitor identifier"}) from None


def visitor_kind(statement: Statement) -> str:
    """The subject kind cookie visitors are stored as."""
    kinds = [k.id for k in statement.subject_kinds]
    if "visitor" in kinds:
        return "visitor"
    for point in statement.collection_points:
        if point.kind is CollectionKind.COOKIE:
            return point.subjects[0]
    raise ConfigurationError(f"{statement.id} declares no visitor kind for cookie choices")


def record_cookie_choice(
    ledger: Ledger,
    statement: Statement,
    *,
    accepted: Iterable[str],
    version: str,
    secret_key: str,
    policy_url: str,
    visitor: str | None = None,
    gpc: bool = False,
    at: dt.datetime | None = None,
    actor: str = "web",
) -> CookieChoice:
    """Store a visitor's banner choice as consent events and return its receipt.

    ``accepted`` names optional categories; ``version`` is the cookie-section version
    the banner showed, refused if the section has changed since. ``visitor`` is the
    identifier a previous choice returned (a new one is made when absent). ``gpc`` is
    whether the browser sent Global Privacy Control. Raises ``InvalidSubmission``
    (field -> reason) and stores nothing for a bad identifier, category or version.
    """
    categories = optional_categories(statement)
    chosen = _check(statement, categories, accepted, version)
    random_id = (
        read_visitor(secret_key, statement.id, visitor) if visitor else tokens.random_token(size=16)
    )
    if not categories:
        return CookieChoice(None, None, tuple(sorted(chosen)), (), (), None)
    token = visitor or tokens.sign(secret_key, f"{_PURPOSE}:{statement.id}", random_id)
    evidence = {"source": "cookie_banner", "banner_version": version}
    with ledger.transaction(actor=actor) as tx:
        subject = _visitor_subject(tx, statement, random_id)
        # A signal recorded before stands until withdrawn, whatever this request says.
        gpc = gpc or subject.gpc
        if gpc:
            chosen -= set(gpc_categories(statement))
        events = tuple(_events(tx, statement, subject, categories, chosen, gpc, evidence, at))
        if gpc:
            record_gpc(tx, subject, evidence={"via": "cookie_banner"})
    refused = tuple(c for c in categories if c not in chosen)
    on = tuple(c for c in categories if c in chosen)
    issued = tuple(receipts(statement, events, policy_url=policy_url))
    return CookieChoice(token, subject.id, on, refused, events, _combined(issued), issued)


def _check(
    statement: Statement, categories: dict[str, list[str]], accepted: Iterable[str], version: str
) -> set[str]:
    errors: dict[str, str] = {}
    if version != cookie_section_version(statement):
        errors["version"] = "the cookie declarations have changed: reload the page and choose"
    chosen = {str(c) for c in accepted} - {CookieCategory.NECESSARY.value}
    unknown = sorted(chosen - set(categories))
    if unknown:
        errors["accepted"] = f"{statement.id} declares no optional cookie category {unknown}"
    if errors:
        raise InvalidSubmission(errors)
    return chosen


def _visitor_subject(tx: Transaction, statement: Statement, random_id: str) -> Subject:
    reference = REFERENCE_PREFIX + random_id
    try:
        subject = subjects.by_reference(tx, statement.id, reference)
    except NotFound:
        return subjects.add(
            tx,
            statement.id,
            visitor_kind(statement),
            statement_version=statement.version,
            reference=reference,
        )
    if subject.statement_version != statement.version:
        # The visitor has just answered this version's banner: decide them under it, so
        # that purposes of cookies it newly declares can be recorded.
        subject = subjects.set_statement_version(tx, subject, statement.version)
    return subject


def _events(
    tx: Transaction,
    statement: Statement,
    subject: Subject,
    categories: dict[str, list[str]],
    chosen: set[str],
    gpc: bool,
    evidence: dict[str, str],
    at: dt.datetime | None,
) -> Iterable[ConsentEvent]:
    """One event per purpose: given only if every category serving it is on."""
    blocked = set(gpc_categories(statement)) if gpc else set()
    serving: dict[str, list[str]] = {}
    for category, purposes in categories.items():
        for purpose in purposes:
            serving.setdefault(purpose, []).append(category)
    for purpose, cats in serving.items():
        given = all(c in chosen for c in cats)
        by_gpc = not given and any(c in blocked for c in cats)
        yield consents.record(
            tx,
            subject,
            purpose,
            kind=ConsentKind.GIVEN if given else ConsentKind.WITHDRAWN,
            method=ConsentMethod.GPC if by_gpc else ConsentMethod.EXPLICIT,
            evidence={**evidence, "cookie_categories": cats},
            at=at,
        )


def _combined(issued: tuple[dict[str, Any], ...]) -> dict[str, Any] | None:
    """The per-event receipts merged into one: same controller and time, every purpose.

    Its id is derived from the events' receipt ids, so it is stable for the same events.
    """
    if not issued:
        return None
    first = issued[0]
    ids = ",".join(r["consentReceiptID"] for r in issued)
    purposes = [p for r in issued for s in r["services"] for p in s["purposes"]]
    methods = sorted({r["collectionMethod"] for r in issued})
    return {
        **first,
        "consentReceiptID": str(uuid.uuid5(_RECEIPT_NAMESPACE, ids)),
        "collectionMethod": "cookie banner: " + "; ".join(methods),
        "services": [{**first["services"][0], "purposes": purposes}],
        "sensitive": any(r["sensitive"] for r in issued),
        "spiCat": sorted({c for r in issued for c in r["spiCat"]}),
    }
