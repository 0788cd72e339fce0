"""The choices a statement gives a person, where each stands, and changing them.

A person's choices are every ``opt_in`` or ``opt_out`` purpose the statement offers in
the privacy center (``preference_center: true``), and each optional cookie category.
A cookie category is recorded as consent for the purposes its cookies serve, so the
engine sees one history whichever way the person chose.

Every change is a consent event in the ledger with its method and evidence. Giving an
opt-in choice needs an explicit action (``ConsentMethod.EXPLICIT``); a default, a link
or a signal can withdraw but never give it (EZ-14, ES-09).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from keepfaith.collect.cookies import CATEGORY_NAMES, optional_categories
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
)
from keepfaith.statement.schema import Basis, CookieCategory, Statement

COOKIE_PREFIX = "cookie:"
"""Choice ids of cookie categories: ``cookie:analytics``."""

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


@dataclass(frozen=True)
class ChoiceState:
    """Where one choice stands for a person."""

    choice: Choice
    on: bool
    """What the switch shows: given, or an opt-out choice not objected to."""
    state: ConsentState
    """``given``, ``withdrawn`` or ``not_set`` (no choice made yet)."""
    changed_at: dt.datetime | None


def choices(statement: Statement) -> list[Choice]:
    """Every choice the statement gives, purposes first, then cookie categories."""
    found = [
        Choice(p.id, p.name, p.description, p.basis is Basis.OPT_IN, (p.id,))
        for p in statement.purposes
        if p.preference_center and p.basis in (Basis.OPT_IN, Basis.OPT_OUT)
    ]
    served = optional_categories(statement)  # necessary cookies cannot be refused
    for category in CookieCategory:
        purposes = tuple(served.get(category.value, ()))
        if purposes:
            name = f"{CATEGORY_NAMES[category]} cookies"
            found.append(Choice(COOKIE_PREFIX + category.value, name, None, True, purposes))
    return found


def choice(statement: Statement, choice_id: str) -> Choice:
    """One choice by id; ``NotFound`` if the statement gives no such choice."""
    for item in choices(statement):
        if item.id == choice_id:
            return item
    raise NotFound(f"{statement.id} gives no choice {choice_id!r}")


def current(ledger: Ledger, statement: Statement, subject: Subject) -> list[ChoiceState]:
    """Every choice with where it stands for ``subject``, from the consent history."""
    latest: dict[str, ConsentEvent] = {}
    with ledger.reading() as tx:
        history = consents.history(tx, subject)
    for event in history:
        if event.counts and event.kind is not ConsentKind.NOTIFIED:
            latest[event.choice] = event
    return [_state(item, latest) for item in choices(statement)]


def _state(item: Choice, latest: Mapping[str, ConsentEvent]) -> ChoiceState:
    events = [latest[p] for p in item.purposes if p in latest]
    if not events:
        return ChoiceState(item, not item.opt_in, ConsentState.NOT_SET, None)
    newest = max(events, key=lambda e: (e.at, e.id))
    withdrawn = any(e.kind is ConsentKind.WITHDRAWN for e in events)
    # An opt-in cookie category is on only while every purpose of it is given.
    on = not withdrawn and (not item.opt_in or len(events) == len(item.purposes))
    state = (
        ConsentState.GIVEN if on else ConsentState.WITHDRAWN if withdrawn else ConsentState.NOT_SET
    )
    return ChoiceState(item, on, state, newest.at)


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
    method = ConsentMethod(method)
    wanted = _check_changes(statement, changes, method)
    with ledger.transaction(actor=actor) as tx:
        return _record(tx, subject, wanted, method, dict(evidence or {}), at)


def _check_changes(
    statement: Statement, changes: Mapping[str, object], method: ConsentMethod
) -> list[tuple[Choice, bool]]:
    offered = {item.id: item for item in choices(statement)}
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
