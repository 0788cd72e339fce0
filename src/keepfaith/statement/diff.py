"""Comparing two versions of a statement: every change, and which ones are material.

A change is *material* when the new version lets the company do more with a person's
data than the old one promised, or weakens a promise made to them: a new purpose for
categories already held, a new recipient or new categories for one, a weaker basis,
longer retention, a category newly collected, a lower minimum age, selling or sharing
turned on, a new ground for disclosure, a weaker changes policy... Material changes are
the ones people must be told about before they apply (``keepfaith.changes``). Wording is
never material.

Elements are matched by what identifies them (ids; cookies by name, rights by kind,
contacts by role, holds by reason, disclosures by basis), so reordering a list changes
nothing. Every field of every section has exactly one rule in ``RULES``; a test keeps
the table complete, so a new schema field cannot be compared by accident only.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from keepfaith.exceptions import Location
from keepfaith.statement import schema as s
from keepfaith.statement.load import loads_with_document, locate, read_text

YamlPath = tuple[str | int, ...]
Side = Literal["old", "new"]


@dataclass(frozen=True)
class Change:
    """One difference between two versions of a statement.

    ``path`` leads into the new statement, or into the old one when ``side`` is
    ``"old"`` (something removed). ``subject_kinds`` are the kinds of people the change
    concerns: those whose data in the categories concerned is collected somewhere.
    ``clauses`` are the clause ids carried by the changed elements.
    """

    kind: str
    path: YamlPath
    material: bool
    description: str
    subject_kinds: tuple[str, ...] = ()
    clauses: tuple[str, ...] = ()
    side: Side = "new"
    location: Location | None = None
    """Filled in by ``diff_files``: where ``path`` is in the file of its ``side``."""

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready form; ``location`` flattened to ``file``, ``line``, ``column``."""
        where = self.location
        return {
            "kind": self.kind,
            "material": self.material,
            "description": self.description,
            "subject_kinds": list(self.subject_kinds),
            "clauses": list(self.clauses),
            "side": self.side,
            "path": list(self.path),
            "file": where.file if where else None,
            "line": where.line if where else None,
            "column": where.column if where else None,
        }

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        weight = "material" if self.material else "minor"
        notes = [f"subjects: {', '.join(self.subject_kinds)}"] if self.subject_kinds else []
        notes += [f"clauses: {', '.join(self.clauses)}"] if self.clauses else []
        extra = f" ({'; '.join(notes)})" if notes else ""
        return f"{where}{weight}: {self.description} [{self.kind}]{extra}"


def diff(old: s.Statement, new: s.Statement) -> list[Change]:
    """Every change from ``old`` to ``new``, in the order of the new statement's sections."""
    context = _Context(old, new)
    root = _Site(context, (), (), "the statement", context.all_kinds, ())
    changes = list(_compare(root, old, new))
    changes.extend(_collection_changes(context))
    return changes


def is_material(changes: Iterable[Change]) -> bool:
    """Whether any change is material (people must be told before it applies)."""
    return any(change.material for change in changes)


def diff_files(old: Path | str, new: Path | str) -> list[Change]:
    """Load both files and compare them; each change carries its location in its file.

    Raises ``StatementError`` (with file, line and column) if either does not load.
    """
    documents = {side: _load_document(path) for side, path in (("old", old), ("new", new))}
    changes = diff(documents["old"][0], documents["new"][0])
    paths = {"old": Path(old), "new": Path(new)}
    return [
        dataclasses.replace(
            change, location=locate(documents[change.side][1], change.path, paths[change.side])
        )
        for change in changes
    ]


def _load_document(path: Path | str) -> tuple[s.Statement, Any]:
    return loads_with_document(read_text(path), source=path)


# --------------------------------------------------------------------------- context


class _Context:
    """Both statements, and who is concerned by each category (from both)."""

    def __init__(self, old: s.Statement, new: s.Statement) -> None:
        self.old, self.new = old, new
        self.collectors: dict[str, set[str]] = {}
        for statement in (old, new):
            for category, kinds in _collectors(statement).items():
                self.collectors.setdefault(category, set()).update(kinds)
        self.all_kinds = tuple(
            sorted({k.id for k in old.subject_kinds} | {k.id for k in new.subject_kinds})
        )

    def kinds_for(self, categories: Iterable[str]) -> tuple[str, ...]:
        return tuple(sorted({k for c in categories for k in self.collectors.get(c, ())}))


def _collectors(statement: s.Statement) -> dict[str, set[str]]:
    """Category -> the subject kinds it is collected from, at any collection point."""
    found: dict[str, set[str]] = {}
    for point in statement.collection_points:
        for form_field in point.fields:
            found.setdefault(form_field.category, set()).update(point.subjects)
    return found


@dataclass(frozen=True)
class _Site:
    """Where the comparison is: an element's path, its label, and whom it concerns."""

    context: _Context
    path: YamlPath
    old_path: YamlPath
    """The same place in the old statement: list indexes may differ."""
    label: str
    kinds: tuple[str, ...]
    clauses: tuple[str, ...]
    side: Side = "new"
    """``old`` for an element only the old statement has."""

    def change(
        self,
        kind: str,
        material: bool,
        description: str,
        at: YamlPath = (),
        kinds: tuple[str, ...] | None = None,
    ) -> Change:
        path = (self.path if self.side == "new" else self.old_path) + at
        kinds = self.kinds if kinds is None else kinds
        return Change(kind, path, material, description, kinds, self.clauses, self.side)

    def enter(
        self, name: str, old: Any, new: Any, old_index: int | None = None, index: int | None = None
    ) -> _Site:
        """The site of a child element, ``old`` and/or ``new`` (one may be ``None``).

        ``index`` and ``old_index`` place it in its list in each statement.
        """
        element = new if new is not None else old
        label = _label(element, name, self)
        clauses = sorted({*getattr(old, "clauses", ()), *getattr(new, "clauses", ())})
        kinds = _kinds(self, [e for e in (old, new) if e is not None])
        path = (*self.path, name, *(() if index is None else (index,)))
        old_path = (*self.old_path, name, *(() if old_index is None else (old_index,)))
        side: Side = "new" if new is not None else "old"
        return _Site(self.context, path, old_path, label, kinds, tuple(clauses), side)


def _compare(site: _Site, old: BaseModel, new: BaseModel) -> Iterator[Change]:
    """Compare two versions of one element field by field, each by its rule."""
    rules = RULES.get(type(new), {})
    for name in type(new).model_fields:
        before, after = getattr(old, name), getattr(new, name)
        if before != after:
            rule = rules.get(name) or COMMON.get(name) or noted(f"{name}_changed")
            yield from rule(site, name, before, after)


# --------------------------------------------------------------------------- labels


_NOUNS: dict[type[BaseModel], tuple[str, str | None]] = {
    s.Contact: ("contact", "role"),
    s.SubjectKind: ("subject kind", "id"),
    s.Category: ("category", "id"),
    s.CollectionPoint: ("collection point", "id"),
    s.FormField: ("field", "name"),
    s.Purpose: ("purpose", "id"),
    s.Recipient: ("recipient", "id"),
    s.Cookie: ("cookie", "name"),
    s.Right: ("right", "kind"),
    s.Hold: ("hold", "reason"),
    s.LegalDisclosure: ("disclosure on the basis", "basis"),
    s.Notice: ("notice", "id"),
    s.IndependentBody: ("independent body for complaints", None),
}


def _label(element: BaseModel, section: str, parent: _Site) -> str:
    if isinstance(element, s.RetentionRule):
        return f"retention of {_show(element.categories or element.data)}"
    noun, key = _NOUNS.get(type(element), (section.replace("_", " "), None))
    label = f"{noun} {_show(getattr(element, key))!r}" if key else noun
    return f"{label} of {parent.label}" if isinstance(element, s.FormField) else label


def _kinds(parent: _Site, elements: Sequence[Any]) -> tuple[str, ...]:
    """The subject kinds an element concerns; sections concern whoever their parent does."""
    context = parent.context
    first = elements[0]
    if isinstance(first, s.SubjectKind):
        return tuple(sorted({e.id for e in elements}))
    if isinstance(first, s.CollectionPoint):
        return tuple(sorted({k for e in elements for k in e.subjects}))
    if isinstance(first, s.Category):
        return context.kinds_for(e.id for e in elements)
    if isinstance(first, s.Purpose | s.Recipient | s.Cookie | s.RetentionRule):
        found = context.kinds_for(c for e in elements for c in _categories_of(context, e))
        return found or context.all_kinds
    return parent.kinds


def _categories_of(context: _Context, element: Any) -> set[str]:
    """The categories an element may touch: its own, or those of its purposes."""
    own = set(getattr(element, "categories", ()))
    if own or isinstance(element, s.RetentionRule):
        return own
    purposes = element.purposes if isinstance(element, s.Recipient) else (element.purpose,)
    return {
        category
        for statement in (context.old, context.new)
        for purpose in statement.purposes
        if purpose.id in purposes
        for category in purpose.categories
    }


def _show(value: Any) -> str:
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, tuple | list):
        return ", ".join(_shorten(_show(item)) for item in value) or "none"
    return "none" if value is None else str(value)


def _shorten(text: str, limit: int = 60) -> str:
    """Sentences in a list (scope, security measures) cut short to keep one line readable."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --------------------------------------------------------------------------- rules

Rule = Callable[[_Site, str, Any, Any], Iterator[Change]]
Material = bool | Callable[[_Site, Any], bool]


def wording(site: _Site, name: str, old: Any, new: Any) -> Iterator[Change]:
    """Text for people to read: never material."""
    yield site.change("text_changed", False, f"{site.label}: {name} reworded", (name,))


def key(site: _Site, name: str, old: Any, new: Any) -> Iterator[Change]:
    """A field compared elsewhere: what elements are matched by, or ``retention``'s terms."""
    yield from ()


def noted(kind: str, material: bool = False) -> Rule:
    """A change named as it is: material either way, or (by default) never."""

    def rule(site: _Site, name: str, old: Any, new: Any) -> Iterator[Change]:
        text = f"{site.label}: {name} changed from {_show(old)} to {_show(new)}"
        yield site.change(kind, material, text, (name,))

    return rule


def flag(base: str, material_when: bool) -> Rule:
    """A yes/no promise: ``<base>_on`` / ``<base>_off``, material in one direction."""

    def rule(site: _Site, name: str, old: Any, new: Any) -> Iterator[Change]:
        state = "on" if new else "off"
        text = f"{site.label}: {name} turned {state}"
        yield site.change(f"{base}_{state}", bool(new) == material_when, text, (name,))

    return rule


def amount(
    up: str,
    down: str,
    worse: Literal["up", "down"],
    none: float | Callable[[s.Statement], float] | None = None,
) -> Rule:
    """A number of days or years; ``none`` is what an unset value means, if anything."""

    def rule(site: _Site, name: str, old: Any, new: Any) -> Iterator[Change]:
        context = site.context
        before, after = _value(old, none, context.old), _value(new, none, context.new)
        if before is None or after is None or before == after:
            yield from noted(f"{name}_changed")(site, name, old, new)
            return
        rose = after > before
        text = f"{site.label}: {name} from {_show(old)} to {_show(new)}"
        yield site.change(up if rose else down, rose == (worse == "up"), text, (name,))

    return rule


def _value(
    value: int | None,
    none: float | Callable[[s.Statement], float] | None,
    statement: s.Statement,
) -> float | None:
    if value is not None:
        return value
    return none(statement) if callable(none) else none


def ranked(ranks: Mapping[str, int], weakened: str, strengthened: str) -> Rule:
    """A choice ordered from weakest to strongest for the person (``ranks``)."""

    def rule(site: _Site, name: str, old: Any, new: Any) -> Iterator[Change]:
        before, after = ranks[str(old)], ranks[str(new)]
        text = f"{site.label}: {name} from {_show(old)} to {_show(new)}"
        if before == after:
            yield site.change(f"{name}_changed", False, text, (name,))
        else:
            weaker = after < before
            yield site.change(weakened if weaker else strengthened, weaker, text, (name,))

    return rule


def members(added: tuple[str, bool], removed: tuple[str, bool], categories: bool = False) -> Rule:
    """A list of plain values; with ``categories``, each change concerns its own items."""

    def rule(site: _Site, name: str, old: Any, new: Any) -> Iterator[Change]:
        for (kind, material), gone, kept, verb in (
            (added, old, new, "added"),
            (removed, new, old, "removed"),
        ):
            items = [item for item in kept if item not in gone]
            if not items:
                continue
            kinds = site.context.kinds_for(items) if categories else None
            index = (kept.index(items[0]),) if verb == "added" else ()
            text = f"{site.label}: {name} {verb}: {_show(items)}"
            yield site.change(kind, material, text, (name, *index), kinds)

    return rule


def translations(site: _Site, name: str, old: Any, new: Any) -> Iterator[Change]:
    """The statement's text in another language: never material by itself. What people
    are promised is the default language's text, whose changes its own fields report; a
    translation added, removed or reworded follows it (``translation_*``, minor)."""
    for language in sorted({*old, *new}):
        before, after = old.get(language), new.get(language)
        if before == after:
            continue
        verb, kind = (
            ("added", "translation_added")
            if before is None
            else ("removed", "translation_removed")
            if after is None
            else ("reworded", "translation_changed")
        )
        at = (name, language) if after is not None else (name,)
        yield site.change(kind, False, f"{site.label}: text in {language!r} {verb}", at)


def hold_scope(site: _Site, name: str, old: Any, new: Any) -> Iterator[Change]:
    """What a hold keeps despite a deletion: keeping more is material, keeping less is
    not. An empty list keeps every category, so it is the widest scope."""
    before, after = set(old), set(new)
    if before == after:
        return
    widened = not after or (bool(before) and not after <= before)
    shown = _show(sorted(after)) if after else "every category"
    text = f"{site.label}: now keeps {shown}"
    yield site.change("hold_widened" if widened else "hold_narrowed", widened, text, (name,))


def elements(key_field: str, added: tuple[str, Material], removed: tuple[str, Material]) -> Rule:
    """A list of elements matched by ``key_field``; matched pairs compared field by field."""

    def rule(site: _Site, name: str, old: Any, new: Any) -> Iterator[Change]:
        before, after = _keyed(old, key_field), _keyed(new, key_field)
        for ident, (index, element) in after.items():
            if ident in before:
                old_index, previous = before[ident]
                child = site.enter(name, previous, element, old_index, index)
                yield from _compare(child, previous, element)
            else:
                yield _event(site.enter(name, None, element, index=index), added, element, "added")
        for ident, (old_index, element) in before.items():
            if ident not in after:
                child = site.enter(name, element, None, old_index=old_index)
                yield _event(child, removed, element, "removed")

    return rule


def _keyed(items: Sequence[Any], key_field: str) -> dict[tuple[Any, int], tuple[int, Any]]:
    """Items by (key, occurrence): a repeated key pairs its first with the first, and so on."""
    seen: dict[Any, int] = {}
    keyed = {}
    for index, item in enumerate(items):
        ident = getattr(item, key_field)
        seen[ident] = seen.get(ident, -1) + 1
        keyed[(ident, seen[ident])] = (index, item)
    return keyed


def _event(site: _Site, event: tuple[str, Material], element: Any, verb: str) -> Change:
    kind, material = event
    weight = material(site, element) if callable(material) else material
    return site.change(kind, weight, f"{site.label} {verb}")


def section(added: tuple[str, Material], removed: tuple[str, Material]) -> Rule:
    """An optional section: added or removed as a whole, otherwise compared field by field.

    A section whose fields all have defaults is also compared with that default when it
    appears or goes, so a new ``transfers`` with countries is a material change.
    """

    def rule(site: _Site, name: str, old: Any, new: Any) -> Iterator[Change]:
        if old is not None and new is not None:
            yield from _compare(site.enter(name, old, new), old, new)
            return
        present = new if new is not None else old
        child = site.enter(name, old, new)
        verb = "added" if new is not None else "removed"
        yield _event(child, added if new is not None else removed, present, verb)
        default = _default(type(present))
        if default is not None:
            before, after = (default, new) if new is not None else (old, default)
            yield from _compare(child, before, after)

    return rule


def _default(model: type[BaseModel]) -> BaseModel | None:
    required = any(info.is_required() for info in model.model_fields.values())
    return None if required else model()


def nested(site: _Site, name: str, old: Any, new: Any) -> Iterator[Change]:
    """A required section: compared field by field."""
    yield from _compare(site.enter(name, old, new), old, new)


# --------------------------------------------------------------------------- special rules


def places(base: str, material_when: Literal["narrowed", "widened"]) -> Rule:
    """A list of jurisdictions (or recipients) where no entry means everywhere."""

    def rule(site: _Site, name: str, old: Any, new: Any) -> Iterator[Change]:
        widened = not new or bool(old and set(new) - set(old))
        how = "widened" if widened else "narrowed"
        before, after = _show(old or "everywhere"), _show(new or "everywhere")
        text = f"{site.label}: {name} from {before} to {after}"
        yield site.change(f"{base}_{how}", how == material_when, text, (name,))

    return rule


def bases(site: _Site, name: str, old: Any, new: Any) -> Iterator[Change]:
    """A purpose's basis per jurisdiction. A place gaining or losing its own basis is
    material: what people there are asked changes, in a way this field alone cannot
    weigh against the default."""
    for place in sorted(set(old) | set(new)):
        before, after = old.get(place), new.get(place)
        if before == after:
            continue
        if before is None or after is None:
            verb = "added" if before is None else "removed"
            text = f"{site.label}: own basis in {place} {verb}"
            yield site.change(f"jurisdiction_basis_{verb}", True, text, (name,))
            continue
        weaker = _BASIS[str(after)] < _BASIS[str(before)]
        kind = "basis_weakened" if weaker else "basis_strengthened"
        text = f"{site.label}: basis in {place} from {_show(before)} to {_show(after)}"
        yield site.change(kind, weaker, text, (name, place))


def _held_before(site: _Site, purpose: s.Purpose) -> bool:
    """A new purpose is material when it uses categories the old version already held."""
    held = {category.id for category in site.context.old.categories}
    return bool(held & set(purpose.categories))


def _cookie_shares(site: _Site, cookie: s.Cookie) -> bool:
    """A new cookie is material when it lets a third party or advertising see the visit."""
    return cookie.party is s.CookieParty.THIRD or cookie.category is s.CookieCategory.ADVERTISING


def recipient_points(site: _Site, name: str, old: Any, new: Any) -> Iterator[Change]:
    """Recipient bound to points: no points means any point, the widest."""
    widened = not new or bool(old and set(new) - set(old))
    kind = (
        "recipient_collection_points_widened" if widened else "recipient_collection_points_narrowed"
    )
    text = f"{site.label}: collection_points from {_show(old or 'any')} to {_show(new or 'any')}"
    yield site.change(kind, widened, text, (name,))


_RETENTION_START = {"collection": 0, "trashed": 1, "last_activity": 1, "account_closed": 2}
"""Later start events keep data longer: an account closes after its last activity."""


def retention(site: _Site, name: str, old: Any, new: Any) -> Iterator[Change]:
    """Retention compared per category (and per data kind), however rules are grouped."""
    before, after = _terms(old), _terms(new)
    for term, (index, rule) in after.items():
        old_index, previous = before.get(term, (None, None))
        child = site.enter(name, previous, rule, old_index, index)
        kinds = _term_kinds(site, term)
        if term not in before:
            text = f"retention of {term[1]} now stated: {_days(rule)}"
            yield child.change("retention_rule_added", False, text, kinds=kinds)
            continue
        yield from _retention_terms(child, term, before[term][1], rule, kinds)
    for term, (index, rule) in before.items():
        if term not in after:
            child = site.enter(name, rule, None, old_index=index)
            text = f"retention of {term[1]} no longer limited (was {_days(rule)})"
            yield child.change("retention_rule_removed", True, text, kinds=_term_kinds(site, term))
    yield from _retention_wording(site, name, old, new)


def _retention_wording(
    site: _Site, name: str, old: Sequence[s.RetentionRule], new: Sequence[s.RetentionRule]
) -> Iterator[Change]:
    """Rules grouping the same categories compared for their wording and clauses."""
    before = {(r.categories, r.data, r.recipient): (i, r) for i, r in enumerate(old)}
    for index, rule in enumerate(new):
        grouped = (rule.categories, rule.data, rule.recipient)
        old_index, previous = before.get(grouped, (None, None))
        if previous is not None and previous != rule:
            child = site.enter(name, previous, rule, old_index, index)
            yield from _compare(child, previous, rule)


def _retention_terms(
    site: _Site,
    term: tuple[str, str],
    old: s.RetentionRule,
    new: s.RetentionRule,
    kinds: tuple[str, ...],
) -> Iterator[Change]:
    subject = f"retention of {term[1]}"
    old_days, new_days = _period(old), _period(new)
    if old_days != new_days:
        longer = new_days > old_days
        kind = "retention_longer" if longer else "retention_shorter"
        text = f"{subject}: from {_days(old)} to {_days(new)}"
        yield site.change(kind, longer, text, ("days",), kinds)
    if old.after != new.after:
        later = _RETENTION_START[new.after] > _RETENTION_START[old.after]
        kind = "retention_start_later" if later else "retention_start_earlier"
        text = f"{subject}: counted after {_show(new.after)} (was {_show(old.after)})"
        yield site.change(kind, later, text, ("after",), kinds)


def _period(rule: s.RetentionRule) -> float:
    """The whole period in days: its days and hours, and every stage after it."""
    if rule.days is None and rule.hours is None:
        return math.inf
    spans = [(rule.days, rule.hours)] + [(x.days, x.hours) for x in rule.stages]
    return sum((days or 0) + (hours or 0) / 24 for days, hours in spans)


def _terms(rules: Sequence[s.RetentionRule]) -> dict[tuple[str, str], tuple[int, s.RetentionRule]]:
    """Each category and data kind -> the first rule that states its retention."""
    terms: dict[tuple[str, str], tuple[int, s.RetentionRule]] = {}
    for index, rule in enumerate(rules):
        at = f" at {rule.recipient}" if rule.recipient else ""
        keys = [("category", c + at) for c in rule.categories]
        keys += [("data", rule.data + at)] if rule.data else []
        for term in keys:
            terms.setdefault(term, (index, rule))
    return terms


def _term_kinds(site: _Site, term: tuple[str, str]) -> tuple[str, ...]:
    if term[0] != "category":
        return site.context.all_kinds
    return site.context.kinds_for([term[1].split(" at ")[0]])


def _days(rule: s.RetentionRule) -> str:
    if rule.days is None and rule.hours is None:
        return f"until {_show(rule.after)}"
    hours = f" {rule.hours} hours" if rule.hours else ""
    return f"{rule.days or 0} days{hours} after {_show(rule.after)}"


def _collection_changes(context: _Context) -> Iterator[Change]:
    """Categories collected for the first time, or from kinds of people not asked before."""
    before, after = _collectors(context.old), _collectors(context.new)
    for path, point, form_field in _first_fields(context.new, before):
        category = form_field.category
        clauses = tuple(sorted({*point.clauses, *form_field.clauses}))
        if category not in before:
            kinds = after[category]
            kind, text = "category_collected_newly", f"category {category!r} newly collected"
            text += f" (at collection point {point.id!r})"
        else:
            kinds = after[category] - before[category]
            kind = "category_collected_from_new_subjects"
            text = f"category {category!r} now collected from {_show(sorted(kinds))}"
        yield Change(kind, path, True, text, tuple(sorted(kinds)), clauses)
    for path, point, form_field in _first_fields(context.old, after):
        if form_field.category not in after:
            text = f"category {form_field.category!r} no longer collected"
            gone = tuple(sorted(before[form_field.category]))
            clauses = tuple(sorted({*point.clauses, *form_field.clauses}))
            yield Change("category_no_longer_collected", path, False, text, gone, clauses, "old")


def _first_fields(
    statement: s.Statement, other: Mapping[str, set[str]]
) -> Iterator[tuple[YamlPath, s.CollectionPoint, s.FormField]]:
    """The first field collecting each category from a kind ``other`` does not collect it from."""
    reported: set[str] = set()
    for i, point in enumerate(statement.collection_points):
        for j, form_field in enumerate(point.fields):
            category = form_field.category
            if category in reported or not set(point.subjects) - other.get(category, set()):
                continue
            reported.add(category)
            yield ("collection_points", i, "fields", j, "category"), point, form_field


# --------------------------------------------------------------------------- the table

_BASIS = {
    "required": 0,
    "legal": 0,
    "vital_interest": 0,
    "legitimate_interest": 1,
    "public_task": 1,
    "opt_out": 1,
    "opt_in": 2,
}
"""Strength of a basis for the person: opt_in needs their yes, opt_out their no."""
_NOTICE = {"none": 0, "post": 1, "email": 2}
_CHILD_ACTION = {"deactivate": 0, "delete": 1}
_PARTY = {"third": 0, "first": 1}
_DURATION = {"persistent": 0, "session": 1}
_COOKIE_CATEGORY = {
    "necessary": 0,
    "functional": 1,
    "analytics": 1,
    "advertising": 1,
    "social_media": 1,
}
"""Only ``necessary`` matters: such a cookie cannot be refused in the banner."""

COMMON: dict[str, Rule] = {"clauses": noted("clauses_changed")}
"""Rules for fields every element has."""

RULES: dict[type[BaseModel], dict[str, Rule]] = {
    s.Statement: {
        "keepfaith": noted("format_changed"),
        "id": noted("statement_id_changed"),
        "version": noted("version_changed"),
        "effective": noted("effective_changed"),
        "title": wording,
        "summary": wording,
        "languages": members(("language_added", False), ("language_removed", False)),
        "organisation": nested,
        "jurisdictions": elements(
            "id", ("jurisdiction_added", False), ("jurisdiction_removed", True)
        ),
        "scope": section(("scope_added", False), ("scope_removed", False)),
        "subject_kinds": elements(
            "id", ("subject_kind_added", False), ("subject_kind_removed", False)
        ),
        "categories": elements("id", ("category_added", False), ("category_removed", False)),
        "collection_points": elements(
            "id", ("collection_point_added", False), ("collection_point_removed", False)
        ),
        "purposes": elements("id", ("purpose_added", _held_before), ("purpose_removed", False)),
        "recipients": elements("id", ("recipient_added", True), ("recipient_removed", False)),
        "cookies": elements("name", ("cookie_added", _cookie_shares), ("cookie_removed", False)),
        "rights": nested,
        "retention": retention,
        "children": section(("children_added", False), ("children_removed", True)),
        "changes": nested,
        "complaints": section(("complaints_added", False), ("complaints_removed", True)),
        "sharing": nested,
        "legal_disclosures": elements(
            "basis", ("disclosure_basis_added", True), ("disclosure_basis_removed", False)
        ),
        "transfers": section(("transfers_added", False), ("transfers_removed", False)),
        "anonymous_data": section(
            ("anonymous_data_added", False), ("anonymous_data_removed", False)
        ),
        "signals": elements("kind", ("signal_added", False), ("signal_removed", True)),
        "automated_decisions": elements(
            "id", ("automated_decision_added", True), ("automated_decision_removed", False)
        ),
        "security": nested,
        "notices": elements("id", ("notice_added", False), ("notice_removed", True)),
        "translations": translations,
    },
    s.Organisation: {
        "name": wording,
        "website": wording,
        "address": wording,
        "description": wording,
        "colour": wording,
        "contacts": elements("role", ("contact_added", False), ("contact_removed", False)),
        "data_protection_officer": section(("dpo_added", False), ("dpo_removed", True)),
        "representatives": elements(
            "region", ("representative_added", False), ("representative_removed", True)
        ),
    },
    s.Representative: {
        "region": key,
        "name": wording,
        "address": wording,
        "email": wording,
        "url": wording,
    },
    s.Jurisdiction: {
        "id": key,
        "name": wording,
        "regions": members(("regions_added", False), ("regions_removed", False)),
        "law": wording,
        "response_days": amount(
            "jurisdiction_response_days_longer",
            "jurisdiction_response_days_shorter",
            "up",
            none=lambda statement: statement.rights.response_days or math.inf,
        ),
        "transfers_need_safeguard": flag("transfers_need_safeguard", material_when=False),
    },
    s.OptOut: {"route": key, "where": wording, "url": wording},
    s.Contact: {
        "role": key,
        "name": wording,
        "email": wording,
        "phone": wording,
        "address": wording,
        "url": wording,
    },
    s.Scope: {
        "covers": members(("scope_covers_added", False), ("scope_covers_removed", False)),
        "excludes": members(("scope_excludes_added", False), ("scope_excludes_removed", False)),
    },
    s.SubjectKind: {"id": key, "name": wording, "description": wording},
    s.Category: {
        "id": key,
        "name": wording,
        "description": wording,
        "sensitive": flag("category_sensitive", material_when=False),
        "commercial_use": flag("category_commercial_use", material_when=True),
        "derived_from": members(("derived_from_added", False), ("derived_from_removed", False)),
    },
    s.CollectionPoint: {
        "id": key,
        "kind": noted("collection_point_kind_changed"),
        "name": wording,
        "description": wording,
        "subjects": members(
            ("collection_point_subjects_added", False),
            ("collection_point_subjects_removed", False),
        ),
        "fields": elements("name", ("field_added", False), ("field_removed", False)),
        "purposes": members(
            ("collection_point_purposes_added", True),
            ("collection_point_purposes_removed", False),
        ),
        "source": wording,
        "voluntary": flag("collection_point_voluntary", material_when=False),
        "commercial_use": flag("collection_point_commercial_use", material_when=True),
        "consent_for": members(("consent_offered", False), ("consent_no_longer_offered", False)),
        "detached": flag("collection_point_detached", material_when=False),
        "single_use": flag("collection_point_single_use", material_when=False),
        "campaign_parameters": members(
            ("campaign_parameters_added", False), ("campaign_parameters_removed", False)
        ),
    },
    s.FormField: {
        "name": key,
        "category": noted("field_category_changed"),
        "label": wording,
        "required": flag("field_required", material_when=True),
        "free_text": noted("field_free_text_changed"),
    },
    s.Purpose: {
        "id": key,
        "name": wording,
        "description": wording,
        "basis": ranked(_BASIS, "basis_weakened", "basis_strengthened"),
        "bases": bases,
        "interest": wording,
        "categories": members(
            ("purpose_categories_added", True),
            ("purpose_categories_removed", False),
            categories=True,
        ),
        "commercial": flag("purpose_commercial", material_when=True),
        "marketing": flag("purpose_marketing", material_when=True),
        "advertising": flag("purpose_advertising", material_when=True),
        "sale": flag("purpose_sale", material_when=True),
        "shares_for_advertising": flag("purpose_shares_for_advertising", material_when=True),
        "unsubscribe": members(
            ("unsubscribe_route_added", False), ("unsubscribe_route_removed", True)
        ),
        "opt_out": elements(
            "route", ("opt_out_route_added", False), ("opt_out_route_removed", True)
        ),
        "preference_center": flag("preference_center", material_when=False),
        "service": flag("purpose_service", material_when=True),
    },
    s.Recipient: {
        "id": key,
        "name": wording,
        "kind": noted("recipient_kind_changed", material=True),
        "description": wording,
        "categories": members(
            ("recipient_categories_added", True),
            ("recipient_categories_removed", False),
            categories=True,
        ),
        "purposes": members(
            ("recipient_purposes_added", True), ("recipient_purposes_removed", False)
        ),
        "basis": ranked(_BASIS, "basis_weakened", "basis_strengthened"),
        "countries": members(
            ("recipient_countries_added", True), ("recipient_countries_removed", False)
        ),
        "mechanism": noted("recipient_mechanism_changed", material=True),
        "framework": noted("recipient_framework_changed", material=True),
        "collection_points": recipient_points,
        "under_contract": flag("recipient_under_contract", material_when=False),
        "own_purposes": flag("recipient_own_purposes", material_when=True),
    },
    s.Cookie: {
        "name": key,
        "party": ranked(_PARTY, "cookie_now_third_party", "cookie_now_first_party"),
        "provider": noted("cookie_provider_changed", material=True),
        "duration": ranked(_DURATION, "cookie_now_persistent", "cookie_now_session"),
        "lifetime_days": amount("cookie_lifetime_longer", "cookie_lifetime_shorter", "up"),
        "purpose": noted("cookie_purpose_changed", material=True),
        "category": ranked(_COOKIE_CATEGORY, "cookie_now_necessary", "cookie_now_refusable"),
        "description": wording,
        "kind": noted("tracker_kind_changed"),
        "sites": places("cookie_sites", material_when="widened"),
    },
    s.Rights: {
        "response_days": amount(
            "rights_response_days_longer", "rights_response_days_shorter", "up", none=math.inf
        ),
        "verification": members(("verification_added", False), ("verification_removed", False)),
        "requests": elements("kind", ("right_added", False), ("right_removed", True)),
        "holds": elements("reason", ("hold_added", True), ("hold_removed", False)),
        "archive_note": wording,
        "corrections_reach_recipients": flag("corrections_reach_recipients", material_when=False),
        "extension_days": amount("extension_longer", "extension_shorter", "up", none=0),
        "free_requests": amount("free_requests_more", "free_requests_fewer", "down", none=math.inf),
        "quota_days": amount("quota_window_longer", "quota_window_shorter", "up"),
        "agents": flag("agents", material_when=False),
        "deletion_reaches_recipients": flag("deletion_reaches_recipients", material_when=False),
        "tell_person": members(("tell_person_added", False), ("tell_person_removed", True)),
    },
    s.Right: {
        "kind": key,
        "handling": noted("right_handling_changed"),
        "response_days": amount(
            "right_response_days_longer",
            "right_response_days_shorter",
            "up",
            none=lambda statement: statement.rights.response_days or math.inf,
        ),
        "description": wording,
        "jurisdictions": places("right_jurisdictions", material_when="narrowed"),
    },
    s.Hold: {"reason": key, "description": wording, "categories": hold_scope},
    s.RetentionRule: {
        # Compared per category by ``retention``; rules pair up by what they group.
        "categories": key,
        "data": key,
        "days": key,
        "after": key,
        "description": wording,
        "hours": key,
        "stages": key,
        "recipient": key,
    },
    s.RetentionStage: {
        # Compared through the whole period by ``retention``.
        "name": key,
        "days": key,
        "hours": key,
        "description": wording,
    },
    s.ChildRule: {
        "under": key,
        "requires": noted("child_rule_requirement_changed", material=True),
        "jurisdictions": places("child_rule_jurisdictions", material_when="narrowed"),
        "description": wording,
    },
    s.Children: {
        "minimum_age": amount("minimum_age_raised", "minimum_age_lowered", "down", none=0),
        "age_gate": flag("age_gate", material_when=False),
        "rules": elements("under", ("child_rule_added", False), ("child_rule_removed", True)),
        "on_actual_knowledge": ranked(
            _CHILD_ACTION, "child_action_weakened", "child_action_strengthened"
        ),
        "description": wording,
    },
    s.Changes: {
        "notify": ranked(_NOTICE, "changes_notice_weakened", "changes_notice_strengthened"),
        "email_effective_days": amount(
            "email_window_longer", "email_window_shorter", "down", none=0
        ),
        "post_effective_days": amount("post_window_longer", "post_window_shorter", "down", none=0),
        "acknowledgement_takes_effect": flag("acknowledgement_takes_effect", material_when=True),
        "continued_use_is_acceptance": flag("continued_use_is_acceptance", material_when=True),
        "choice_on_new_use": flag("choice_on_new_use", material_when=False),
        # Which declared purpose carries the notice: how, not whether, people are told.
        "notice_purpose": wording,
        "description": wording,
    },
    s.Complaints: {
        "acknowledge_days": amount(
            "complaint_acknowledgement_longer",
            "complaint_acknowledgement_shorter",
            "up",
            none=math.inf,
        ),
        "resolve_days": amount(
            "complaint_resolution_longer", "complaint_resolution_shorter", "up", none=math.inf
        ),
        "contact": noted("complaints_contact_changed"),
        "independent_body": section(
            ("independent_body_added", False), ("independent_body_removed", True)
        ),
        "bodies": elements(
            "name", ("complaint_body_added", False), ("complaint_body_removed", True)
        ),
        "escalation": members(("escalation_added", False), ("escalation_removed", True)),
        "share_text_with_body": flag("complaint_text_to_body", material_when=True),
        "description": wording,
    },
    s.IndependentBody: {
        "name": wording,
        "url": wording,
        "email": wording,
        "jurisdictions": places("complaint_body_jurisdictions", material_when="narrowed"),
    },
    s.LegalDisclosure: {
        "basis": key,
        "description": wording,
        "conditions": members(("conditions_added", False), ("conditions_removed", True)),
        "requires_document": flag("requires_document", material_when=False),
        "notify_person": flag("notify_person", material_when=False),
    },
    s.Sharing: {
        "sells_personal_data": flag("sale", material_when=True),
        "commercial_sharing": flag("commercial_sharing", material_when=True),
        "shares_for_advertising": flag("sharing_for_advertising", material_when=True),
        "discloses_for_own_purposes": flag("disclosure_for_own_purposes", material_when=True),
        "opt_out": elements(
            "route", ("sale_opt_out_route_added", False), ("sale_opt_out_route_removed", True)
        ),
        "opt_out_jurisdictions": places("sale_opt_out_jurisdictions", material_when="narrowed"),
        "description": wording,
    },
    s.Transfers: {
        "countries": members(
            ("transfer_countries_added", True), ("transfer_countries_removed", False)
        ),
        "mechanism": noted("transfer_mechanism_changed"),
        "description": wording,
        "flows": elements("to", ("transfer_flow_added", True), ("transfer_flow_removed", False)),
    },
    s.TransferFlow: {
        "to": key,
        "recipients": places("transfer_flow_recipients", material_when="widened"),
        "jurisdictions": places("transfer_flow_jurisdictions", material_when="widened"),
        "mechanism": noted("transfer_flow_mechanism_changed", material=True),
        "framework": wording,
        "description": wording,
    },
    s.Signal: {
        "kind": key,
        "honoured": flag("signal_honoured", material_when=False),
        "jurisdictions": places("signal_jurisdictions", material_when="narrowed"),
        "effects": members(("signal_effects_added", False), ("signal_effects_removed", True)),
        "description": wording,
    },
    s.AutomatedDecision: {
        "id": key,
        "name": wording,
        "logic": wording,
        "effects": wording,
        "purposes": members(
            ("automated_decision_purposes_added", True),
            ("automated_decision_purposes_removed", False),
        ),
        "human_review": flag("human_review", material_when=False),
    },
    s.AnonymousData: {
        "method": wording,
        "may_disclose": flag("anonymous_disclosure", material_when=True),
    },
    s.Security: {
        "measures": members(
            ("security_measures_added", False), ("security_measures_removed", False)
        ),
    },
    s.Notice: {"id": key, "title": wording, "text": wording},
}
"""For every field of every section, how a change to it is told and weighed."""
