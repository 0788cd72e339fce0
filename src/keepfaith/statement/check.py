"""Meaning checks: a statement can be well formed and still promise something it cannot keep.

The schema and ``references`` make sure a statement is shaped right and names only what
it declares. The rules here read it as a whole: an opt-in purpose nobody can opt in to,
a recipient sent data no purpose lets it have, a marketing purpose with no way out.
Each rule yields ``Finding``s with a path into the statement, so ``check_file`` can point
at the line that needs changing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from keepfaith.exceptions import Location, StatementError
from keepfaith.statement.load import loads_with_document, locate, read_text
from keepfaith.statement.schema import (
    NATIONAL_ID_CATEGORY,
    Basis,
    ChangeNotice,
    CollectionKind,
    Statement,
    is_technical,
)

Severity = Literal["error", "warning"]
YamlPath = tuple[str | int, ...]

MINIMUM_CHILD_AGE = 13
"""Below this age, collecting data needs verified parental consent (COPPA)."""


@dataclass(frozen=True)
class Finding:
    """One thing wrong with a statement's meaning.

    ``path`` leads into the statement (``("purposes", 2, "basis")``); ``location`` is
    filled in by ``check_file`` once the path is found in the file.
    """

    code: str
    severity: Severity
    path: YamlPath
    message: str
    location: Location | None = None

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready form: location flattened to ``file``, ``line``, ``column``."""
        where = self.location
        return {
            "file": where.file if where else None,
            "line": where.line if where else None,
            "column": where.column if where else None,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "path": list(self.path),
        }

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}{self.severity}: {self.message} [{self.code}]"


def check(statement: Statement) -> list[Finding]:
    """Every finding of every rule, in rule order."""
    return [finding for rule in RULES for finding in rule(statement)]


def check_file(path: Path | str) -> list[Finding]:
    """Load ``path`` and check it; findings carry their location in the file.

    A statement that does not load gives one error finding per load problem (code
    ``invalid``). A file that cannot be read at all raises ``StatementError``.
    """
    path = Path(path)
    text = read_text(path)
    try:
        statement, document = loads_with_document(text, source=path)
    except StatementError as error:
        return [
            Finding("invalid", "error", (), reason, location) for location, reason in error.problems
        ]
    located = [
        dataclasses.replace(finding, location=locate(document, finding.path, path))
        for finding in check(statement)
    ]
    return sorted(located, key=lambda f: (f.location, f.code))


# --------------------------------------------------------------------------- helpers


def _collected(statement: Statement, points: Iterable[str] | None = None) -> set[str]:
    """Categories collected at ``points`` (every point when ``None``)."""
    wanted = None if points is None else set(points)
    return {
        field.category
        for point in statement.collection_points
        if wanted is None or point.id in wanted
        for field in point.fields
    }


def _is_national_id(category: str) -> bool:
    if category == NATIONAL_ID_CATEGORY:
        return True
    prefix = "user.government_id."
    rest = category[len(prefix) :] if category.startswith(prefix) else ""
    return "national" in rest or "ssn" in rest


# --------------------------------------------------------------------------- rules


def purpose_category_not_collected(s: Statement) -> Iterator[Finding]:
    """A purpose may use a category that no collection point ever collects."""
    collected = _collected(s)
    for i, purpose in enumerate(s.purposes):
        for j, category in enumerate(purpose.categories):
            if category not in collected:
                yield Finding(
                    "category-not-collected",
                    "warning",
                    ("purposes", i, "categories", j),
                    f"purpose {purpose.id!r} uses {category!r}, which no collection point collects",
                )


def opt_in_without_consent(s: Statement) -> Iterator[Finding]:
    """An opt-in purpose needs somewhere to opt in: a point's checkbox or the privacy center."""
    offered = {purpose for point in s.collection_points for purpose in point.consent_for}
    for i, purpose in enumerate(s.purposes):
        if purpose.basis is Basis.OPT_IN and not (
            purpose.id in offered or purpose.preference_center
        ):
            yield Finding(
                "opt-in-without-consent",
                "error",
                ("purposes", i, "basis"),
                f"opt-in purpose {purpose.id!r} has no way to give consent: list it in a "
                "collection point's consent_for or set preference_center",
            )


def recipient_category_without_purpose(s: Statement) -> Iterator[Finding]:
    """A recipient may receive only categories its purposes (or, lacking those, any) use."""
    by_id = {purpose.id: purpose for purpose in s.purposes}
    everything = {c for purpose in s.purposes for c in purpose.categories}
    for i, recipient in enumerate(s.recipients):
        if recipient.purposes:
            mine = [by_id[p] for p in recipient.purposes if p in by_id]
            allowed = {c for purpose in mine for c in purpose.categories}
            why = f"none of its purposes ({', '.join(recipient.purposes)}) uses it"
        else:
            allowed, why = everything, "no purpose uses it"
        for j, category in enumerate(recipient.categories):
            if category not in allowed:
                yield Finding(
                    "recipient-category-without-purpose",
                    "error",
                    ("recipients", i, "categories", j),
                    f"recipient {recipient.id!r} receives {category!r}, but {why}",
                )


def national_id_declared(s: Statement) -> Iterator[Finding]:
    """PA-08: national identity numbers are never requested, so never declared."""
    for i, category in enumerate(s.categories):
        if _is_national_id(category.id):
            yield Finding(
                "national-id",
                "error",
                ("categories", i, "id"),
                f"category {category.id!r} is a national identity number, "
                "which must never be requested (PA-08)",
            )


def child_age_too_low(s: Statement) -> Iterator[Finding]:
    """Collecting from children under 13 needs parental consent keepfaith cannot verify."""
    if s.children is not None and s.children.minimum_age < MINIMUM_CHILD_AGE:
        yield Finding(
            "minimum-age",
            "error",
            ("children", "minimum_age"),
            f"minimum age {s.children.minimum_age} is below {MINIMUM_CHILD_AGE}",
        )


def cookie_without_purpose(s: Statement) -> Iterator[Finding]:
    """A cookie with no purpose cannot be explained to people, nor refused by purpose."""
    for i, cookie in enumerate(s.cookies):
        if cookie.purpose is None:
            yield Finding(
                "cookie-without-purpose",
                "warning",
                ("cookies", i, "name"),
                f"cookie {cookie.name!r} has no purpose",
            )


def marketing_without_unsubscribe(s: Statement) -> Iterator[Finding]:
    """Every marketing purpose needs a way out: an unsubscribe route or the privacy center."""
    for i, purpose in enumerate(s.purposes):
        if purpose.marketing and not (purpose.unsubscribe or purpose.preference_center):
            yield Finding(
                "marketing-without-unsubscribe",
                "error",
                ("purposes", i, "marketing"),
                f"marketing purpose {purpose.id!r} declares no unsubscribe route "
                "(unsubscribe or preference_center)",
            )


def widget_collects_personal(s: Statement) -> Iterator[Finding]:
    """ES-14: a widget on customers' sites collects technical categories only."""
    for i, point in enumerate(s.collection_points):
        if point.kind is not CollectionKind.WIDGET:
            continue
        for j, field in enumerate(point.fields):
            if not is_technical(field.category):
                yield Finding(
                    "widget-personal-category",
                    "error",
                    ("collection_points", i, "fields", j, "category"),
                    f"widget {point.id!r} collects {field.category!r}, which is not a "
                    "technical category (ES-14)",
                )


def recipient_points_without_category(s: Statement) -> Iterator[Finding]:
    """A recipient limited to some points can get only what those points collect."""
    for i, recipient in enumerate(s.recipients):
        if not recipient.collection_points:
            continue
        collected = _collected(s, recipient.collection_points)
        for j, category in enumerate(recipient.categories):
            if category not in collected:
                yield Finding(
                    "recipient-category-not-collected",
                    "warning",
                    ("recipients", i, "categories", j),
                    f"recipient {recipient.id!r} receives {category!r}, which none of its "
                    f"collection points ({', '.join(recipient.collection_points)}) collects",
                )


def email_notice_without_window(s: Statement) -> Iterator[Finding]:
    """Email notice of a change needs the days after which the change takes effect."""
    if s.changes.notify is ChangeNotice.EMAIL and s.changes.email_effective_days is None:
        yield Finding(
            "email-notice-without-days",
            "warning",
            ("changes", "notify"),
            "changes are notified by email but email_effective_days is not set",
        )


RULES: tuple[Callable[[Statement], Iterator[Finding]], ...] = (
    purpose_category_not_collected,
    opt_in_without_consent,
    recipient_category_without_purpose,
    national_id_declared,
    child_age_too_low,
    cookie_without_purpose,
    marketing_without_unsubscribe,
    widget_collects_personal,
    recipient_points_without_category,
    email_notice_without_window,
)
"""Every rule ``check`` runs; each yields the findings of one kind."""
