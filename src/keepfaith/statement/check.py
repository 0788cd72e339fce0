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
from typing import Any, Literal

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from keepfaith.exceptions import Location, StatementError
from keepfaith.statement.load import loads_with_document, locate, read_text
from keepfaith.statement.schema import (
    NATIONAL_ID_CATEGORY,
    Basis,
    ChangeNotice,
    CollectionKind,
    Statement,
    UnsubscribeRoute,
    is_technical,
)
from keepfaith.statement.translations import missing

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
    found = check(statement) + list(flow_comma_splits(document))
    located = [
        dataclasses.replace(finding, location=locate(document, finding.path, path))
        for finding in found
    ]
    return sorted(located, key=lambda f: (f.location, f.code))


_WORDS = "and or but nor including such then not which who with without at in on of for to"
CONTINUATIONS = frozenset(f"{_WORDS} from by as e.g. i.e. etc".split())
"""First words that continue a sentence rather than start a new item."""


def flow_comma_splits(document: Any, path: YamlPath = ()) -> Iterator[Finding]:
    """An unquoted comma in a YAML flow list (``[a, b]``) ends the item: free text with a
    comma in it silently becomes two items. An item that reads like the rest of the one
    before (it starts in lower case, or with "and", "such"...) is most likely that."""
    if isinstance(document, CommentedMap):
        for key, value in document.items():
            yield from flow_comma_splits(value, (*path, str(key)))
        return
    if not isinstance(document, CommentedSeq):
        return
    for index, item in enumerate(document):
        yield from flow_comma_splits(item, (*path, index))
    if not document.fa.flow_style():
        return
    for index in range(1, len(document)):
        before, item = document[index - 1], document[index]
        if _continues(before, item):
            joined = f"{before}, {item}"
            yield Finding(
                "yaml-flow-comma",
                "warning",
                (*path, index),
                f"{item!r} looks like the rest of {before!r}, cut at an unquoted comma in a "
                f'[...] list: quote the whole text ("{joined}") if it is one item',
            )


def _continues(before: object, item: object) -> bool:
    if not (isinstance(before, str) and isinstance(item, str)) or not item:
        return False
    if " " not in before and " " not in item:
        return False  # ids and keys, not text
    if before.rstrip().endswith((".", ";", ":", "!", "?")):
        return False
    first = item.split()[0].lower()
    return item[0].islower() or first in CONTINUATIONS


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
    """A purpose may use a category that no collection point ever collects (a category
    derived from others, such as a hashed email address, needs no point of its own)."""
    collected = _collected(s) | {c.id for c in s.categories if c.derived_from}
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
    offered |= s.cookie_served_purposes()  # the cookie banner asks for it
    for i, purpose in enumerate(s.purposes):
        if purpose.basis is Basis.OPT_IN and not (
            purpose.id in offered or purpose.preference_center
        ):
            yield Finding(
                "opt-in-without-consent",
                "error",
                ("purposes", i, "basis"),
                f"opt-in purpose {purpose.id!r} has no way to give consent: list it in a "
                "collection point's consent_for, set preference_center, or serve it by a "
                "cookie the banner asks for",
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
    age = s.children.minimum_age if s.children is not None else None
    if s.children is not None and age is not None and age < MINIMUM_CHILD_AGE:
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


def opt_out_through_cookie(s: Statement) -> Iterator[Finding]:
    """A non-essential cookie is set only after consent, so an opt-out purpose it serves
    is decided, in the banner, the privacy center and the engine, as opt-in for the data
    the cookie gathers: the declaration should say so."""
    served = s.cookie_served_purposes()
    for i, purpose in enumerate(s.purposes):
        if purpose.basis is Basis.OPT_OUT and purpose.id in served:
            cookies = ", ".join(c.name for c in s.cookies if c.purpose == purpose.id)
            yield Finding(
                "opt-out-through-cookie",
                "warning",
                ("purposes", i, "basis"),
                f"opt-out purpose {purpose.id!r} works through the non-essential cookie "
                f"{cookies}, which is set only after consent: keepfaith uses its cookie data "
                "only with that consent and shows the choice as opt-in; declare "
                "basis: opt_in to say so",
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


def service_and_marketing(s: Statement) -> Iterator[Finding]:
    """SC-07: service mail passes a marketing opt-out, so no purpose can be both."""
    for i, purpose in enumerate(s.purposes):
        if purpose.service and purpose.marketing:
            yield Finding(
                "service-and-marketing",
                "error",
                ("purposes", i, "service"),
                f"purpose {purpose.id!r} is both a service communication and marketing: "
                "service mail is sent after a marketing opt-out, so split it in two",
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


def category_unused(s: Statement) -> Iterator[Finding]:
    """A declared category that nothing collects, derives or uses promises nothing."""
    used = _collected(s) | {c for p in s.purposes for c in p.categories}
    used |= {c for cat in s.categories for c in cat.derived_from}
    used |= {c for r in s.recipients for c in r.categories}
    used |= {c for rule in s.retention for c in rule.categories}
    for i, category in enumerate(s.categories):
        if category.id not in used and not category.derived_from:
            yield Finding(
                "category-unused",
                "warning",
                ("categories", i, "id"),
                f"category {category.id!r} is not collected, derived or used by anything: "
                "remove it, or say where it comes from and what it serves",
            )


def route_not_offered(s: Statement) -> Iterator[Finding]:
    """A route promised to people must exist: ``preference_center`` among a purpose's
    ways out while the purpose is not offered in the privacy center."""
    for i, purpose in enumerate(s.purposes):
        routes = list(purpose.unsubscribe) + [o.route for o in purpose.opt_out]
        if UnsubscribeRoute.PREFERENCE_CENTER in routes and not purpose.preference_center:
            where = (
                ("unsubscribe", purpose.unsubscribe.index(UnsubscribeRoute.PREFERENCE_CENTER))
                if UnsubscribeRoute.PREFERENCE_CENTER in purpose.unsubscribe
                else ("opt_out",)
            )
            yield Finding(
                "route-not-offered",
                "error",
                ("purposes", i, *where),
                f"purpose {purpose.id!r} promises the privacy center as a way out, but is "
                "not offered there: set preference_center: true or drop the route",
            )


def interest_not_stated(s: Statement) -> Iterator[Finding]:
    """A legitimate interest must be stated, so people can weigh it and object."""
    for i, purpose in enumerate(s.purposes):
        uses = purpose.basis is Basis.LEGITIMATE_INTEREST or (
            Basis.LEGITIMATE_INTEREST in purpose.bases.values()
        )
        if uses and not purpose.interest:
            yield Finding(
                "interest-not-stated",
                "error",
                ("purposes", i, "basis"),
                f"purpose {purpose.id!r} rests on a legitimate interest that it does not "
                "state: add interest: <what it is>",
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


def translation_missing(s: Statement) -> Iterator[Finding]:
    """A language that gives the statement's text (``translations``) gives all of it: a
    text left out shows in the default language on that language's pages. A declared
    language with no block at all is a choice (keepfaith's own words only), not a gap."""
    for language in s.translations:
        if language not in s.languages[1:]:
            continue  # refused when loading
        for path in missing(s, language):
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
            yield Finding(
                "translation-missing",
                "warning",
                path,
                f"no {language!r} text for {where.lstrip('.')}: pages in {language!r} show "
                f"the {s.languages[0]!r} text; add it under translations.{language}",
            )


RULES: tuple[Callable[[Statement], Iterator[Finding]], ...] = (
    purpose_category_not_collected,
    opt_in_without_consent,
    recipient_category_without_purpose,
    national_id_declared,
    child_age_too_low,
    cookie_without_purpose,
    opt_out_through_cookie,
    marketing_without_unsubscribe,
    service_and_marketing,
    widget_collects_personal,
    recipient_points_without_category,
    category_unused,
    route_not_offered,
    interest_not_stated,
    email_notice_without_window,
    translation_missing,
)
"""Every rule ``check`` runs; each yields the findings of one kind."""
