"""References between sections: every id named must be declared, and declared once.

Each problem is reported with the path of the offending value inside the statement
(``("purposes", 2, "categories", 0)``), so the loader can point at its line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from keepfaith.statement.schema import Statement

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    path: Path
    reason: str


def problems(statement: Statement) -> Iterator[Problem]:
    """Yield every duplicate id and every reference to something undeclared."""
    from keepfaith.statement import translations  # it builds on ``Problem``

    yield from _duplicates(statement)
    yield from _undeclared(statement)
    yield from translations.problems(statement)


def _duplicates(s: Statement) -> Iterator[Problem]:
    sections: list[tuple[str, Iterable[str]]] = [
        ("subject_kinds", (k.id for k in s.subject_kinds)),
        ("categories", (c.id for c in s.categories)),
        ("collection_points", (p.id for p in s.collection_points)),
        ("purposes", (p.id for p in s.purposes)),
        ("recipients", (r.id for r in s.recipients)),
        ("cookies", (c.name for c in s.cookies)),
        ("notices", (n.id for n in s.notices)),
        ("jurisdictions", (j.id for j in s.jurisdictions)),
        ("automated_decisions", (d.id for d in s.automated_decisions)),
    ]
    for section, ids in sections:
        seen: set[str] = set()
        key = "name" if section == "cookies" else "id"
        for index, ident in enumerate(ids):
            if ident in seen:
                yield Problem((section, index, key), f"duplicate {section} id {ident!r}")
            seen.add(ident)
    for index, point in enumerate(s.collection_points):
        names: set[str] = set()
        for f_index, field in enumerate(point.fields):
            if field.name in names:
                path: Path = ("collection_points", index, "fields", f_index, "name")
                yield Problem(path, f"duplicate field {field.name!r} in {point.id!r}")
            names.add(field.name)


def _undeclared(s: Statement) -> Iterator[Problem]:
    kinds = {k.id for k in s.subject_kinds}
    categories = {c.id for c in s.categories}
    purposes = {p.id for p in s.purposes}
    points = {p.id for p in s.collection_points}
    roles = {c.role for c in s.organisation.contacts}

    def refs(path: Path, names: Iterable[str], declared: set[str], what: str) -> Iterator[Problem]:
        for index, name in enumerate(names):
            if name not in declared:
                yield Problem((*path, index), f"{what} {name!r} is not declared")

    for i, point in enumerate(s.collection_points):
        base: Path = ("collection_points", i)
        yield from refs((*base, "subjects"), point.subjects, kinds, "subject kind")
        yield from refs((*base, "purposes"), point.purposes, purposes, "purpose")
        yield from refs((*base, "consent_for"), point.consent_for, purposes, "purpose")
        for j, field in enumerate(point.fields):
            if field.category not in categories:
                yield Problem(
                    (*base, "fields", j, "category"),
                    f"category {field.category!r} is not declared",
                )
    for i, purpose in enumerate(s.purposes):
        yield from refs(("purposes", i, "categories"), purpose.categories, categories, "category")
    for i, recipient in enumerate(s.recipients):
        base = ("recipients", i)
        yield from refs((*base, "categories"), recipient.categories, categories, "category")
        yield from refs((*base, "purposes"), recipient.purposes, purposes, "purpose")
        yield from refs(
            (*base, "collection_points"), recipient.collection_points, points, "collection point"
        )
    for i, cookie in enumerate(s.cookies):
        if cookie.purpose is not None and cookie.purpose not in purposes:
            yield Problem(("cookies", i, "purpose"), f"purpose {cookie.purpose!r} is not declared")
    for i, rule in enumerate(s.retention):
        yield from refs(("retention", i, "categories"), rule.categories, categories, "category")
    yield from _jurisdiction_refs(s, refs)
    notice = s.changes.notice_purpose
    if notice is not None and notice not in purposes:
        yield Problem(("changes", "notice_purpose"), f"purpose {notice!r} is not declared")
    recipients = {r.id for r in s.recipients}
    for i, category in enumerate(s.categories):
        yield from refs(
            ("categories", i, "derived_from"), category.derived_from, categories, "category"
        )
    for i, rule in enumerate(s.retention):
        if rule.recipient is not None and rule.recipient not in recipients:
            yield Problem(
                ("retention", i, "recipient"), f"recipient {rule.recipient!r} is not declared"
            )
    for i, decision in enumerate(s.automated_decisions):
        yield from refs(
            ("automated_decisions", i, "purposes"), decision.purposes, purposes, "purpose"
        )
    for i, flow in enumerate(s.transfers.flows if s.transfers else ()):
        yield from refs(
            ("transfers", "flows", i, "recipients"), flow.recipients, recipients, "recipient"
        )
    if s.complaints is not None and s.complaints.contact not in roles:
        yield Problem(
            ("complaints", "contact"),
            f"contact role {s.complaints.contact!r} is not declared under organisation.contacts",
        )


Refs = Callable[[Path, Iterable[str], set[str], str], Iterator[Problem]]


def _jurisdiction_refs(s: Statement, refs: Refs) -> Iterator[Problem]:
    """Every jurisdiction named (a basis, a right, a signal...) is declared."""
    declared = {j.id for j in s.jurisdictions}
    named: list[tuple[Path, Iterable[str]]] = []
    for i, purpose in enumerate(s.purposes):
        named.append((("purposes", i, "bases"), purpose.bases))
    for i, right in enumerate(s.rights.requests):
        named.append((("rights", "requests", i, "jurisdictions"), right.jurisdictions))
    for i, signal in enumerate(s.signals):
        named.append((("signals", i, "jurisdictions"), signal.jurisdictions))
    for i, rule in enumerate(s.children.rules if s.children else ()):
        named.append((("children", "rules", i, "jurisdictions"), rule.jurisdictions))
    for i, flow in enumerate(s.transfers.flows if s.transfers else ()):
        named.append((("transfers", "flows", i, "jurisdictions"), flow.jurisdictions))
    for i, body in enumerate(s.complaints.bodies if s.complaints else ()):
        named.append((("complaints", "bodies", i, "jurisdictions"), body.jurisdictions))
    named.append((("sharing", "opt_out_jurisdictions"), s.sharing.opt_out_jurisdictions))
    for path, names in named:
        if isinstance(names, dict):
            for key in names:
                if key not in declared:
                    yield Problem((*path, key), f"jurisdiction {key!r} is not declared")
        else:
            yield from refs(path, names, declared, "jurisdiction")
