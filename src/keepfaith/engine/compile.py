"""Compiling a statement: the look-ups the engine needs, built once per version.

A ``CompiledStatement`` indexes purposes, categories, collection points and recipients by
id, and keeps the clause ids of each element so that decisions can cite them. Nothing
here knows a clause id by name: what a statement promises lives in its YAML.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from keepfaith.statement.schema import (
    Basis,
    ChildRequirement,
    CollectionKind,
    CookieCategory,
    Purpose,
    RecipientKind,
    RightKind,
    SignalEffect,
    SignalKind,
    Statement,
)

Clauses = tuple[str, ...]

FIRST_PARTY_KINDS = frozenset({RecipientKind.PROCESSOR, RecipientKind.AUTHORITY})
"""Recipients acting for the company or the law; every other kind is a third party."""

GPC_RECIPIENT_KINDS = frozenset({RecipientKind.PARTNER, RecipientKind.ADVERTISER})
"""Opt-out sharing with these counts as "sharing" a GPC signal objects to."""


def third_party(kind: RecipientKind) -> bool:
    """Whether a recipient of this kind is a third party: the one definition, used by
    decisions, receipts and every other place that asks."""
    return kind not in FIRST_PARTY_KINDS


def merge(*groups: Iterable[str]) -> Clauses:
    """Clause ids of several elements, in order, each once."""
    return tuple(dict.fromkeys(c for group in groups for c in group))


@dataclass(frozen=True, slots=True)
class CompiledPurpose:
    id: str
    basis: Basis
    categories: frozenset[str]
    commercial: bool
    """Commercial, marketing, advertising or sale: what restricted data may not serve."""
    gpc_objects: bool
    """Sale, sharing or targeted advertising: a Global Privacy Control signal objects."""
    sale: bool
    clauses: Clauses
    cookie_categories: frozenset[str] = frozenset()
    """Categories this purpose gets through a non-essential cookie: used only with
    consent to the cookie, whatever the basis (``cookie_purposes``)."""
    cookies: tuple[str, ...] = ()
    """Names of the non-essential cookies that serve it."""
    cookie_clauses: Clauses = ()
    sharing: bool = False
    """The purpose is itself sharing: every recipient it names is a third party, so
    consent to it counts as consent to share with them (PA-21)."""
    bases: Mapping[str, Basis] = field(default_factory=dict)
    """The basis in particular jurisdictions, over ``basis``."""
    effects: frozenset[SignalEffect] = frozenset()
    """Which of sale, sharing (for cross-context advertising), targeted advertising it is."""
    shares_for_advertising: bool = False

    def basis_in(self, jurisdiction: str | None) -> Basis:
        """The basis for a person in ``jurisdiction`` (the default when unknown)."""
        if jurisdiction is None:
            return self.basis
        return self.bases.get(jurisdiction, self.basis)


@dataclass(frozen=True, slots=True)
class CompiledCategory:
    id: str
    sensitive: bool
    commercial_use: bool
    clauses: Clauses


@dataclass(frozen=True, slots=True)
class CompiledPoint:
    id: str
    purposes: frozenset[str]
    commercial_use: bool
    clauses: Clauses


@dataclass(frozen=True, slots=True)
class CompiledRecipient:
    id: str
    kind: RecipientKind
    basis: Basis
    categories: frozenset[str]
    purposes: frozenset[str]
    collection_points: frozenset[str]
    third_party: bool
    gpc_objects: bool
    """Sharing with it is what a GPC signal objects to: a partner or an advertiser."""
    clauses: Clauses
    own_purposes: bool = False


@dataclass(frozen=True, slots=True)
class CompiledStatement:
    """One statement version, indexed for decisions."""

    tenant: str
    version: str
    statement: Statement
    purposes: Mapping[str, CompiledPurpose]
    categories: Mapping[str, CompiledCategory]
    points: Mapping[str, CompiledPoint]
    recipients: Mapping[str, CompiledRecipient]
    legal_disclosures: Mapping[str, Clauses]
    """Disclosure basis -> clauses, for the bases the statement declares."""
    holds: Mapping[str, Clauses]
    """Hold reason -> clauses."""
    statement_clauses: Clauses
    scope_clauses: Clauses
    children_clauses: Clauses
    rights_clauses: Clauses
    sharing_clauses: Clauses
    changes_clauses: Clauses
    anonymous_clauses: Clauses
    sells_personal_data: bool
    commercial_sharing: bool
    choice_on_new_use: bool
    anonymous_disclosure: bool
    non_commercial_points: frozenset[str]
    jurisdictions: tuple[str, ...] = ()
    discloses_for_own_purposes: bool = False
    shares_for_advertising: bool = False
    restrict_clauses: Clauses = ()
    object_clauses: Clauses = ()
    minor_sale: tuple[tuple[int, frozenset[str]], ...] = ()
    """(under, jurisdictions) of rules that make sale and sharing opt-in for minors;
    no jurisdictions means everywhere."""
    signal_clauses: Mapping[str, Clauses] = field(default_factory=dict)

    def honoured(self, kind: SignalKind, jurisdiction: str | None) -> frozenset[SignalEffect]:
        """What a signal of ``kind`` opts a person in ``jurisdiction`` out of."""
        return honoured_effects(self.statement, kind, jurisdiction)

    def minor_needs_opt_in(self, age_under: int | None, jurisdiction: str | None) -> bool:
        """Whether selling or sharing a person known to be under ``age_under`` needs an
        opt-in where they are."""
        if age_under is None:
            return False
        return any(
            age_under <= under and (not where or jurisdiction is None or jurisdiction in where)
            for under, where in self.minor_sale
        )

    @property
    def key(self) -> tuple[str, str]:
        return (self.tenant, self.version)


ALL_EFFECTS = frozenset(SignalEffect)


def honoured_effects(
    statement: Statement, kind: SignalKind, jurisdiction: str | None
) -> frozenset[SignalEffect]:
    """What an honoured signal of ``kind`` opts a person out of where they are.

    A statement that declares no signal of a kind keeps keepfaith's default: Global
    Privacy Control honoured everywhere for sale, sharing and targeted advertising, Do
    Not Track not honoured. A person whose jurisdiction is unknown gets a signal
    honoured wherever the statement honours it.
    """
    declared = [signal for signal in statement.signals if signal.kind is kind]
    if not declared:
        return ALL_EFFECTS if kind is SignalKind.GPC else frozenset()
    found: set[SignalEffect] = set()
    for signal in declared:
        where = set(signal.jurisdictions)
        if signal.honoured and (not where or jurisdiction is None or jurisdiction in where):
            found.update(signal.effects or ALL_EFFECTS)
    return frozenset(found)


def purpose_effects(statement: Statement) -> dict[str, frozenset[SignalEffect]]:
    """Each purpose -> which of sale, sharing and targeted advertising it is.

    Sharing is sharing for cross-context behavioural advertising, or a purpose that is
    sharing itself with partners and advertisers (every recipient naming it one).
    """
    named: dict[str, set[RecipientKind]] = {}
    for r in statement.recipients:
        for purpose in r.purposes:
            named.setdefault(purpose, set()).add(r.kind)
    none = {RecipientKind.PROCESSOR}
    found: dict[str, frozenset[SignalEffect]] = {}
    for p in statement.purposes:
        effects = set()
        if p.sale:
            effects.add(SignalEffect.SALE)
        if p.shares_for_advertising or named.get(p.id, none) <= GPC_RECIPIENT_KINDS:
            effects.add(SignalEffect.SHARING)
        if p.advertising:
            effects.add(SignalEffect.TARGETED_ADVERTISING)
        found[p.id] = frozenset(effects)
    return found


def gpc_purposes(statement: Statement, jurisdiction: str | None = None) -> frozenset[str]:
    """Purposes a Global Privacy Control signal objects to for a person in
    ``jurisdiction``: the one definition; banner, privacy center and engine use it."""
    honoured = honoured_effects(statement, SignalKind.GPC, jurisdiction)
    return frozenset(p for p, e in purpose_effects(statement).items() if e & honoured)


def sharing_purposes(statement: Statement) -> frozenset[str]:
    """Purposes that are sharing itself: named by recipients, every one a third party."""
    named: dict[str, set[RecipientKind]] = {}
    for r in statement.recipients:
        for purpose in r.purposes:
            named.setdefault(purpose, set()).add(r.kind)
    return frozenset(p for p, kinds in named.items() if not kinds & FIRST_PARTY_KINDS)


def cookie_purposes(statement: Statement) -> dict[str, frozenset[str]]:
    """Each purpose a non-essential cookie serves -> the categories it gets that way.

    Those are the categories collected at a ``cookie`` collection point that states the
    purpose, and the cookie identifier itself. A cookie that is not strictly necessary
    needs consent before it is set (ePrivacy art. 5(3)), so that data is used only with
    that consent, whatever basis the purpose has for other data.
    """
    served = statement.cookie_served_purposes()
    found: dict[str, frozenset[str]] = {}
    for p in statement.purposes:
        if p.id in served:
            found[p.id] = _cookie_data(statement, p)
    return found


def _cookie_data(statement: Statement, purpose: Purpose) -> frozenset[str]:
    through = {
        f.category
        for point in statement.collection_points
        if point.kind is CollectionKind.COOKIE and purpose.id in point.purposes
        for f in point.fields
    }
    through.add(COOKIE_ID_CATEGORY)
    return frozenset(through & set(purpose.categories))


COOKIE_ID_CATEGORY = "user.device.cookie_id"


def _purpose(
    s: Statement,
    p: Purpose,
    gpc: frozenset[str],
    sharing: frozenset[str],
    cookies: dict[str, frozenset[str]],
    effects: dict[str, frozenset[SignalEffect]],
) -> CompiledPurpose:
    serving = [
        c for c in s.cookies if c.purpose == p.id and c.category is not CookieCategory.NECESSARY
    ]
    return CompiledPurpose(
        id=p.id,
        basis=p.basis,
        categories=frozenset(p.categories),
        commercial=p.commercial or p.marketing or p.advertising or p.sale,
        gpc_objects=p.id in gpc,
        sale=p.sale,
        clauses=tuple(p.clauses),
        cookie_categories=cookies.get(p.id, frozenset()),
        cookies=tuple(c.name for c in serving),
        cookie_clauses=merge(*(c.clauses for c in serving)),
        sharing=p.id in sharing,
        bases=dict(p.bases),
        effects=effects[p.id],
        shares_for_advertising=p.shares_for_advertising,
    )


def compile_statement(statement: Statement) -> CompiledStatement:
    """Index a statement for the engine; done once per (tenant, version)."""
    s = statement
    gpc, sharing, cookies = gpc_purposes(s), sharing_purposes(s), cookie_purposes(s)
    effects = purpose_effects(s)
    purposes = {p.id: _purpose(s, p, gpc, sharing, cookies, effects) for p in s.purposes}
    categories = {
        c.id: CompiledCategory(c.id, c.sensitive, c.commercial_use, tuple(c.clauses))
        for c in s.categories
    }
    points = {
        p.id: CompiledPoint(p.id, frozenset(p.purposes), p.commercial_use, tuple(p.clauses))
        for p in s.collection_points
    }
    recipients = {
        r.id: CompiledRecipient(
            id=r.id,
            kind=r.kind,
            basis=r.basis,
            categories=frozenset(r.categories),
            purposes=frozenset(r.purposes),
            collection_points=frozenset(r.collection_points),
            third_party=third_party(r.kind),
            gpc_objects=r.kind in GPC_RECIPIENT_KINDS,
            clauses=tuple(r.clauses),
            own_purposes=r.own_purposes,
        )
        for r in s.recipients
    }
    legal: dict[str, Clauses] = {}
    for item in s.legal_disclosures:
        legal[item.basis.value] = merge(legal.get(item.basis.value, ()), item.clauses)
    return CompiledStatement(
        tenant=s.id,
        version=s.version,
        statement=s,
        purposes=purposes,
        categories=categories,
        points=points,
        recipients=recipients,
        legal_disclosures=legal,
        holds={h.reason: tuple(h.clauses) for h in s.rights.holds},
        statement_clauses=tuple(s.clauses),
        scope_clauses=merge(s.clauses, s.scope.clauses if s.scope else ()),
        children_clauses=tuple(s.children.clauses) if s.children else (),
        rights_clauses=tuple(s.rights.clauses),
        sharing_clauses=tuple(s.sharing.clauses),
        changes_clauses=tuple(s.changes.clauses),
        anonymous_clauses=tuple(s.anonymous_data.clauses) if s.anonymous_data else (),
        sells_personal_data=s.sharing.sells_personal_data,
        commercial_sharing=s.sharing.commercial_sharing,
        choice_on_new_use=s.changes.choice_on_new_use,
        anonymous_disclosure=bool(s.anonymous_data and s.anonymous_data.may_disclose),
        non_commercial_points=frozenset(p.id for p in s.collection_points if not p.commercial_use),
        jurisdictions=tuple(j.id for j in s.jurisdictions),
        discloses_for_own_purposes=s.sharing.discloses_for_own_purposes,
        shares_for_advertising=s.sharing.shares_for_advertising,
        restrict_clauses=_right_clauses(s, RightKind.RESTRICT),
        object_clauses=_right_clauses(s, RightKind.OBJECT),
        minor_sale=tuple(
            (rule.under, frozenset(rule.jurisdictions))
            for rule in (s.children.rules if s.children else ())
            if rule.requires is ChildRequirement.OPT_IN_TO_SALE
        ),
        signal_clauses={
            kind.value: merge(*(x.clauses for x in s.signals if x.kind is kind))
            for kind in SignalKind
        },
    )


def _right_clauses(s: Statement, kind: RightKind) -> Clauses:
    return merge(tuple(s.rights.clauses), *(r.clauses for r in s.rights.requests if r.kind is kind))
