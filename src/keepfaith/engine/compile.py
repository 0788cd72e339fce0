"""Compiling a statement: the look-ups the engine needs, built once per version.

A ``CompiledStatement`` indexes purposes, categories, collection points and recipients by
id, and keeps the clause ids of each element so that decisions can cite them. Nothing
here knows a clause id by name: what a statement promises lives in its YAML.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from keepfaith.statement.schema import Basis, Purpose, RecipientKind, Statement

Clauses = tuple[str, ...]

FIRST_PARTY_KINDS = frozenset({RecipientKind.PROCESSOR, RecipientKind.AUTHORITY})
"""Recipients acting for the company or the law; every other kind is a third party."""

GPC_RECIPIENT_KINDS = frozenset({RecipientKind.PARTNER, RecipientKind.ADVERTISER})
"""Opt-out sharing with these counts as "sharing" a GPC signal objects to."""


def third_party(kind: RecipientKind) -> bool:
    """Whether a recipient of this kind is a third party: the one definition, used by
    decisions, receipts and every other place that asks."""
    return kind not in FIRST_PARTY_KINDS


def gpc_objects_to(purpose: Purpose) -> bool:
    """Whether a Global Privacy Control signal objects to a purpose: sale or advertising."""
    return purpose.sale or purpose.advertising


def gpc_objects_to_sharing(kind: RecipientKind) -> bool:
    """Whether a Global Privacy Control signal objects to opt-out sharing with a recipient
    of this kind."""
    return kind in GPC_RECIPIENT_KINDS


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
    """Sale or advertising: a Global Privacy Control signal objects to it."""
    sale: bool
    clauses: Clauses


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
    clauses: Clauses


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

    @property
    def key(self) -> tuple[str, str]:
        return (self.tenant, self.version)


def compile_statement(statement: Statement) -> CompiledStatement:
    """Index a statement for the engine; done once per (tenant, version)."""
    s = statement
    purposes = {
        p.id: CompiledPurpose(
            id=p.id,
            basis=p.basis,
            categories=frozenset(p.categories),
            commercial=p.commercial or p.marketing or p.advertising or p.sale,
            gpc_objects=gpc_objects_to(p),
            sale=p.sale,
            clauses=tuple(p.clauses),
        )
        for p in s.purposes
    }
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
            gpc_objects=gpc_objects_to_sharing(r.kind),
            clauses=tuple(r.clauses),
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
    )
