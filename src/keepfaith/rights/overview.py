"""Everything a person sees about themselves on one page of the privacy center.

``of_person`` gathers, for a signed-in person: their choices grouped as the statement
groups them (uses of their data, the opt-out of selling and sharing, cookies), each with
what it does in plain words and the clauses behind it; what is held about them, by
category, with where it came from and what it was collected for; their requests and
where each stands; and their consent history with each event's receipt id. It reads
only; every change goes through its own capability (``collect.consent``, ``rights``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from keepfaith.collect import consent as choices
from keepfaith.collect.receipts import receipt
from keepfaith.ledger import ConsentEvent, ConsentKind, Ledger, Record, Subject, consents, records
from keepfaith.ledger import cases as case_rows
from keepfaith.ledger.cases import Case
from keepfaith.rights.cases import identity_digest
from keepfaith.statement import Statement
from keepfaith.translatable import N_

GROUPS = ("uses", "sale", "cookies")
GROUP_TITLES = {
    "uses": N_("How we use your information"),
    "sale": N_("Selling and sharing"),
    "cookies": N_("Cookies"),
}
STATE_WORDS = {
    "unverified": N_("waiting for you to confirm it is you"),
    "open": N_("being worked on"),
    "done": N_("done"),
    "denied": N_("refused"),
    "expired": N_("never confirmed, so nothing was done"),
}
WORDS = (
    # Consent kinds and methods, and request kinds, as the page shows them.
    N_("given"),
    N_("withdrawn"),
    N_("reaffirmed"),
    N_("notified"),
    N_("explicit"),
    N_("reply_email"),
    N_("link"),
    N_("gpc"),
    N_("staff"),
    N_("default"),
    N_("Access"),
    N_("Portability"),
    N_("Know"),
    N_("Correct"),
    N_("Delete"),
    N_("Discontinue"),
)
SALE_EFFECT = N_("On: we may sell or share your information as our statement says. Off: we do not.")
OPT_IN_EFFECT = N_("Off until you turn it on: we do this only with your consent.")
OPT_OUT_EFFECT = N_("On unless you turn it off: turning it off stops it from now on.")


@dataclass(frozen=True)
class ChoiceView:
    id: str
    name: str
    description: str | None
    on: bool
    state: str
    gpc: bool
    effect: str
    """What the switch does, in plain words."""
    clauses: tuple[str, ...]
    changed_at: dt.datetime | None


@dataclass(frozen=True)
class HeldView:
    category: str
    name: str
    count: int
    sources: tuple[str, ...]
    purposes: tuple[str, ...]
    sensitive: bool


@dataclass(frozen=True)
class RequestView:
    id: int
    kind: str
    state: str
    words: str
    received_at: dt.datetime
    due_at: dt.datetime | None


@dataclass(frozen=True)
class HistoryView:
    at: dt.datetime
    choice: str
    kind: str
    method: str
    receipt: str | None


@dataclass(frozen=True)
class Overview:
    groups: dict[str, list[ChoiceView]] = field(default_factory=dict)
    held: list[HeldView] = field(default_factory=list)
    requests: list[RequestView] = field(default_factory=list)
    history: list[HistoryView] = field(default_factory=list)
    gpc: bool = False
    gpc_at: dt.datetime | None = None


def of_person(
    ledger: Ledger, statement: Statement, subject: Subject, *, secret_key: str, policy_url: str
) -> Overview:
    """The person's page, read in one unit of work."""
    with ledger.reading() as tx:
        held = records.of(tx, subject)
        events = consents.history(tx, subject)
        cases = case_rows.of_person(tx, statement.id, subject.id, digests(secret_key, held))
    return Overview(
        groups=_groups(ledger, statement, subject),
        held=_held(statement, held),
        requests=[_request(case) for case in cases],
        history=_history(statement, events, policy_url),
        gpc=bool(subject.gpc),
        gpc_at=subject.gpc_at,
    )


def digests(secret_key: str, held: list[Record]) -> list[str]:
    """The keyed digests of the person's addresses, as their rights cases know them
    (a request made before they signed in is theirs too)."""
    return [
        identity_digest(secret_key, r.value)
        for r in held
        if r.category == "user.contact.email" and r.value
    ]


def _groups(ledger: Ledger, statement: Statement, subject: Subject) -> dict[str, list[ChoiceView]]:
    grouped: dict[str, list[ChoiceView]] = {name: [] for name in GROUPS}
    for state in choices.current(ledger, statement, subject):
        item = state.choice
        group = (
            "cookies"
            if item.id.startswith(choices.COOKIE_PREFIX)
            else "sale"
            if item.id == choices.SALE_CHOICE
            else "uses"
        )
        grouped[group].append(
            ChoiceView(
                id=item.id,
                name=item.name,
                description=item.description,
                on=state.on,
                state=str(state.state),
                gpc=state.gpc,
                effect=_effect(item),
                clauses=_clauses(statement, item.purposes),
                changed_at=state.changed_at,
            )
        )
    return {name: found for name, found in grouped.items() if found}


def _effect(item: choices.Choice) -> str:
    if item.id == choices.SALE_CHOICE:
        return SALE_EFFECT
    return OPT_IN_EFFECT if item.opt_in else OPT_OUT_EFFECT


def _clauses(statement: Statement, purposes: tuple[str, ...]) -> tuple[str, ...]:
    found: list[str] = []
    for purpose in statement.purposes:
        if purpose.id in purposes:
            found.extend(c for c in purpose.clauses if c not in found)
    return tuple(found)


def _held(statement: Statement, held: list[Record]) -> list[HeldView]:
    by_category: dict[str, list[Record]] = {}
    for record in held:
        by_category.setdefault(record.category, []).append(record)
    views = []
    for category, found in by_category.items():
        declared = statement.category(category)
        points = {p.id: p.name for p in statement.collection_points}
        sources: list[str] = []
        for record in found:
            where = record.source or points.get(
                record.collection_point or "", record.collection_point
            )
            if where and where not in sources:
                sources.append(where)
        names = {p.id: p.name for p in statement.purposes}
        purposes: list[str] = []
        for record in found:
            purposes.extend(
                names.get(p, p) for p in record.purposes if names.get(p, p) not in purposes
            )
        views.append(
            HeldView(
                category=category,
                name=declared.name,
                count=len(found),
                sources=tuple(sources),
                purposes=tuple(purposes),
                sensitive=declared.sensitive,
            )
        )
    return views


def _request(case: Case) -> RequestView:
    return RequestView(
        id=case.id,
        kind=str(case.kind),
        state=str(case.state),
        words=STATE_WORDS.get(str(case.state), str(case.state)),
        received_at=case.received_at,
        due_at=case.due_at,
    )


def _history(
    statement: Statement, events: list[ConsentEvent], policy_url: str
) -> list[HistoryView]:
    names = {c.id: c.name for c in choices.choices(statement)}
    views = []
    for event in reversed(events):
        given = event.counts and event.kind is not ConsentKind.NOTIFIED
        views.append(
            HistoryView(
                at=event.at,
                choice=names.get(event.choice, event.choice),
                kind=str(event.kind),
                method=str(event.method),
                receipt=receipt(statement, event, policy_url=policy_url)["consentReceiptID"]
                if given
                else None,
            )
        )
    return views
