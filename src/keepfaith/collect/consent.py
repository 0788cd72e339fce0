"""The choices a statement gives a person, where each stands, and changing them.

A person's choices are every ``opt_in`` or ``opt_out`` purpose the statement offers in
the privacy center (``preference_center: true``), and each optional cookie category.
A cookie category is recorded as consent for the purposes its cookies serve, so the
engine sees one history whichever way the person chose.

Every change is a consent event in the ledger with its method and evidence. Giving an
opt-in choice needs an explicit action (``ConsentMethod.EXPLICIT``); a default, a link
or a signal can withdraw but never give it (EZ-14, ES-09).

A purpose that works only through a non-essential cookie is presented as opt-in, since
the engine uses that data only once the cookie's consent is given. A Global Privacy
Control signal (``record_gpc``) is recorded on the person with its time and withdraws
every choice it objects to (sale, sharing, targeted advertising); those choices stay
off, and cannot be turned on, while the signal stands.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from keepfaith.collect.cookies import CATEGORY_NAMES, optional_categories
from keepfaith.engine.compile import (
    GPC_RECIPIENT_KINDS,
    cookie_purposes,
    gpc_purposes,
    purpose_effects,
)
from keepfaith.exceptions import InvalidSubmission, NotFound
from keepfaith.ledger import (
    ConsentEvent,
    ConsentKind,
    ConsentMethod,
    ConsentState,
    Ledger,
    Subject,
    Transaction,
    consents,
    recipient_choice,
    statements,
    subjects,
)
from keepfaith.statement.schema import CHOOSABLE, Basis, CookieCategory, SignalEffect, Statement

COOKIE_PREFIX = "cookie:"
"""Choice ids of cookie categories: ``cookie:analytics``."""
SALE_CHOICE = "do-not-sell-or-share"
"""The choice id of the opt-out of selling and sharing (CCPA/CPRA)."""
SALE_CHOICE_NAME = "Do not sell or share my personal information"

GIVING_METHODS = frozenset({ConsentMethod.EXPLICIT})
"""The only way to give an opt-in choice: the person's own explicit action."""


@dataclass(frozen=True)
class Choice:
    """One choice the statement gives a person."""

    id: str
    """The purpose id, or ``cookie:<category>``."""
    name: str
    description: str | None
    opt_in: bool
    """``True``: off until the person gives it; ``False``: on until they object."""
    purposes: tuple[str, ...]
    """The purposes a change records consent for."""
    gpc: bool = False
    """A Global Privacy Control signal objects to it (one of its purposes)."""


@dataclass(frozen=True)
class ChoiceState:
    """Where one choice stands for a person."""

    choice: Choice
    on: bool
    """What the switch shows: given, or an opt-out choice not objected to."""
    state: ConsentState
    """``given``, ``withdrawn`` or ``not_set`` (no choice made yet)."""
    changed_at: dt.datetime | None
    gpc: bool = False
    """The person's Global Privacy Control signal keeps this choice off."""


def choices(statement: Statement, jurisdiction: str | None = None) -> list[Choice]:
    """Every choice the statement gives a person in ``jurisdiction`` (the defaults when
    unknown): purposes first, then the opt-out of selling and sharing, then cookie
    categories."""
    gpc, cookie_data = gpc_purposes(statement, jurisdiction), cookie_purposes(statement)
    found = []
    for p in statement.purposes:
        basis = p.bases.get(jurisdiction, p.basis) if jurisdiction else p.basis
        if not (p.preference_center and basis in CHOOSABLE):
            continue
        # All its data comes through a non-essential cookie: consent first, as the
        # banner and the engine have it, whatever the declared basis.
        opt_in = basis is Basis.OPT_IN or cookie_data.get(p.id) == frozenset(p.categories)
        found.append(Choice(p.id, p.name, p.description, opt_in, (p.id,), p.id in gpc))
    sold = _sale_and_sharing(statement, jurisdiction)
    if sold:
        found.append(
            Choice(SALE_CHOICE, SALE_CHOICE_NAME, None, False, sold, any(p in gpc for p in sold))
        )
    served = optional_categories(statement)  # necessary cookies cannot be refused
    for category in CookieCategory:
        purposes = tuple(served.get(category.value, ()))
        if purposes:
            name = f"{CATEGORY_NAMES[category]} cookies"
            blocked = any(p in gpc for p in purposes)
            found.append(
                Choice(COOKIE_PREFIX + category.value, name, None, True, purposes, blocked)
            )
    return found


def _sale_and_sharing(statement: Statement, jurisdiction: str | None) -> tuple[str, ...]:
    """The purposes the opt-out of selling and sharing stops, where it is offered."""
    sharing = statement.sharing
    offered = sharing.sells_personal_data or sharing.shares_for_advertising
    where = sharing.opt_out_jurisdictions
    if not offered or (where and jurisdiction is not None and jurisdiction not in where):
        return ()
    sold = {SignalEffect.SALE, SignalEffect.SHARING}
    effects = purpose_effects(statement)
    return tuple(
        p.id
        for p in statement.purposes
        if effects[p.id] & sold and p.basis not in (Basis.LEGAL, Basis.VITAL_INTEREST)
    )


def choice(statement: Statement, choice_id: str) -> Choice:
    """One choice by id; ``NotFound`` if the statement gives no such choice."""
    for item in choices(statement):
        if item.id == choice_id:
            return item
    raise NotFound(f"{statement.id} gives no choice {choice_id!r}")


def current(ledger: Ledger, statement: Statement, subject: Subject) -> list[ChoiceState]:
    """Every choice with where it stands for ``subject``, from the consent history."""
    with ledger.reading() as tx:
        return states(tx, statement, subjects.get(tx, subject.tenant, subject.id))


def states(tx: Transaction, statement: Statement, person: Subject) -> list[ChoiceState]:
    """``current`` inside a unit of work, for ``person`` as read in it: the changes
    this unit made so far included, so a change and its answer share one transaction."""
    latest = consents.latest(tx, person)
    return [_state(item, latest, person) for item in choices(statement, person.jurisdiction)]


def _state(
    item: Choice, latest: Mapping[str, tuple[ConsentState, dt.datetime]], person: Subject
) -> ChoiceState:
    standings = [latest[p] for p in item.purposes if p in latest]
    blocked = item.gpc and person.gpc
    if not standings:
        not_set = ConsentState.NOT_SET
        return ChoiceState(item, not item.opt_in and not blocked, not_set, None, blocked)
    newest = max(at for _, at in standings)
    withdrawn = any(state is ConsentState.WITHDRAWN for state, _ in standings)
    # An opt-in cookie category is on only while every purpose of it is given.
    on = not withdrawn and (not item.opt_in or len(standings) == len(item.purposes))
    on = on and not blocked
    state = (
        ConsentState.GIVEN
        if on
        else ConsentState.WITHDRAWN
        if withdrawn or blocked
        else ConsentState.NOT_SET
    )
    return ChoiceState(item, on, state, newest, blocked)


def change(
    ledger: Ledger,
    statement: Statement,
    subject: Subject,
    changes: Mapping[str, object],
    *,
    method: ConsentMethod | str = ConsentMethod.EXPLICIT,
    evidence: Mapping[str, Any] | None = None,
    actor: str = "privacy-center",
    at: dt.datetime | None = None,
) -> list[ConsentEvent]:
    """Record the person's changes (choice id -> on/off), one consent event per purpose.

    Giving an opt-in choice needs ``method="explicit"``; an unknown choice or a value
    that is not ``true``/``false`` is refused by field, and nothing is recorded.
    """
    with ledger.transaction(actor=actor) as tx:
        person = subjects.get(tx, subject.tenant, subject.id)
        return change_in(tx, statement, person, changes, method=method, evidence=evidence, at=at)


def change_in(
    tx: Transaction,
    statement: Statement,
    person: Subject,
    changes: Mapping[str, object],
    *,
    method: ConsentMethod | str = ConsentMethod.EXPLICIT,
    evidence: Mapping[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> list[ConsentEvent]:
    """``change`` inside the caller's unit of work, for ``person`` as read in it."""
    method = ConsentMethod(method)
    wanted = _check_changes(statement, changes, method, person)
    return _record(tx, person, wanted, method, dict(evidence or {}), at)


def _check_changes(
    statement: Statement, changes: Mapping[str, object], method: ConsentMethod, person: Subject
) -> list[tuple[Choice, bool]]:
    offered = {item.id: item for item in choices(statement, person.jurisdiction)}
    gpc = person.gpc
    errors: dict[str, str] = {}
    wanted: list[tuple[Choice, bool]] = []
    for choice_id, value in changes.items():
        item = offered.get(choice_id)
        if item is None:
            errors[choice_id] = "the statement gives no such choice"
        elif not isinstance(value, bool):
            errors[choice_id] = "must be true or false"
        elif value and item.opt_in and method not in GIVING_METHODS:
            errors[choice_id] = "an opt-in choice is given only by an explicit action"
        elif value and item.gpc and gpc:
            errors[choice_id] = (
                "your browser's Global Privacy Control signal opts you out of this, "
                "and it stays off while the signal stands"
            )
        else:
            wanted.append((item, value))
    if errors:
        raise InvalidSubmission(errors)
    return wanted


def _record(
    tx: Transaction,
    subject: Subject,
    wanted: list[tuple[Choice, bool]],
    method: ConsentMethod,
    evidence: dict[str, Any],
    at: dt.datetime | None,
) -> list[ConsentEvent]:
    events = []
    for item, on in wanted:
        kind = ConsentKind.GIVEN if on else ConsentKind.WITHDRAWN
        for purpose in item.purposes:
            events.append(
                consents.record(
                    tx,
                    subject,
                    purpose,
                    kind=kind,
                    method=method,
                    evidence={**evidence, "choice": item.id},
                    at=at,
                )
            )
    return events


# --------------------------------------------------------------------------- signals


def record_gpc(
    tx: Transaction, subject: Subject, *, evidence: Mapping[str, Any] | None = None
) -> list[ConsentEvent]:
    """Record a Global Privacy Control signal on the person, with its time (once).

    The first signal sets the person's GPC flag and time, and withdraws (method
    ``gpc``) every opt-in or opt-out choice a signal objects to that is not withdrawn
    already: the purposes of ``gpc_purposes`` and sharing with partners and advertisers.
    So the receipts, the privacy center and the engine all say the same from then on.
    Returns the consent events written (none for a repeated signal).
    """
    person = subjects.get(tx, subject.tenant, subject.id)
    if person.gpc:
        return []
    person = subjects.set_gpc(tx, person)
    statement = statements.get(tx, person.tenant, person.statement_version)
    latest = {choice: state for choice, (state, _) in consents.latest(tx, person).items()}
    details = {"signal": "Sec-GPC", **(evidence or {})}
    choosable = (Basis.OPT_IN, Basis.OPT_OUT)
    objected = gpc_purposes(statement)
    purposes = [p.id for p in statement.purposes if p.id in objected and p.basis in CHOOSABLE]
    recipients = [
        r.id
        for r in statement.recipients
        if r.kind in GPC_RECIPIENT_KINDS and r.basis in choosable and objected
    ]
    events = [
        _gpc_event(tx, person, details, purpose=p)
        for p in purposes
        if latest.get(p) is not ConsentState.WITHDRAWN
    ]
    events += [
        _gpc_event(tx, person, details, recipient=r)
        for r in recipients
        if latest.get(recipient_choice(r)) is not ConsentState.WITHDRAWN
    ]
    return events


def _gpc_event(
    tx: Transaction,
    person: Subject,
    evidence: dict[str, Any],
    *,
    purpose: str | None = None,
    recipient: str | None = None,
) -> ConsentEvent:
    return consents.record(
        tx,
        person,
        purpose,
        recipient=recipient,
        kind=ConsentKind.WITHDRAWN,
        method=ConsentMethod.GPC,
        evidence=evidence,
    )


def honour_gpc(ledger: Ledger, subject: Subject, *, via: str, actor: str = "web") -> Subject:
    """Record a Global Privacy Control signal that came with a request identifying the
    person (collection, privacy center, consent API); return the person as now stored."""
    if not subject.gpc:
        with ledger.transaction(actor=actor) as tx:
            record_gpc(tx, subject, evidence={"via": via})
    with ledger.reading() as tx:
        return subjects.get(tx, subject.tenant, subject.id)
