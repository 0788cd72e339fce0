"""The statement's own text in each of its languages: the ``translations`` block.

The statement is written in its first language (``languages[0]``, the default). Each
other declared language may give its text under ``translations.<language>``, shaped like
the statement itself, with two differences that keep it short and safe to edit:

- only text for people may appear (names, descriptions, labels, notes: ``TEXT``); ids,
  kinds, numbers, addresses and flags are the statement's and cannot be translated;
- a list whose items have an id (``KEYS``: ``id``, ``name`` for cookies, fields and
  stages, ``role`` for contacts, ``kind`` for rights, ``reason`` for holds...) is a
  mapping from that id, so a translation names what it translates and survives items
  being reordered; other lists (retention rules, opt-out ways, security measures) are
  translated item by item, as lists of the same length.

::

    translations:
      de:
        purposes:
          support: {name: Kundensupport, description: Wir beantworten Ihre Anfragen.}
        security:
          measures: [Verschlüsselung bei der Übertragung, ...]

``problems`` says what is wrong in a block (an undeclared language, an unknown id or key,
a wrong length), for the loader to refuse at its line. ``missing`` lists the texts a
language with a block does not give (``keepfaith check`` warns: the page falls back to the
default text). ``localised`` is the statement with a language's text in place, for the
pages; everything but the text is the statement's own, so the engine's answers are
unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from keepfaith.statement import schema as s
from keepfaith.statement.references import Path, Problem

TEXT: dict[type[BaseModel], tuple[str, ...]] = {
    s.Statement: ("title", "summary"),
    s.Organisation: ("description",),
    s.Contact: ("name",),
    s.Jurisdiction: ("name", "law"),
    s.Scope: ("covers", "excludes"),
    s.SubjectKind: ("name", "description"),
    s.Category: ("name", "description"),
    s.FormField: ("label",),
    s.CollectionPoint: ("name", "description", "source"),
    s.OptOut: ("where",),
    s.Purpose: ("name", "description", "interest"),
    s.Recipient: ("name", "description"),
    s.Cookie: ("description",),
    s.Right: ("description",),
    s.Hold: ("description",),
    s.Rights: ("archive_note",),
    s.RetentionStage: ("description",),
    s.RetentionRule: ("description",),
    s.ChildRule: ("description",),
    s.Children: ("description",),
    s.Changes: ("description",),
    s.IndependentBody: ("name",),
    s.Complaints: ("escalation", "description"),
    s.LegalDisclosure: ("description", "conditions"),
    s.Sharing: ("description",),
    s.TransferFlow: ("description",),
    s.Transfers: ("mechanism", "description"),
    s.Signal: ("description",),
    s.AutomatedDecision: ("name", "logic", "effects"),
    s.AnonymousData: ("method",),
    s.Security: ("measures",),
    s.Notice: ("title", "text"),
}
"""The fields of each section that are text for people, and so translatable."""

KEYS: dict[type[BaseModel], str] = {
    s.Contact: "role",
    s.Representative: "region",
    s.Jurisdiction: "id",
    s.SubjectKind: "id",
    s.Category: "id",
    s.FormField: "name",
    s.CollectionPoint: "id",
    s.Purpose: "id",
    s.Recipient: "id",
    s.Cookie: "name",
    s.Right: "kind",
    s.Hold: "reason",
    s.RetentionStage: "name",
    s.LegalDisclosure: "basis",
    s.Signal: "kind",
    s.AutomatedDecision: "id",
    s.Notice: "id",
}
"""What the items of a list are named by in a translation (``purposes: {support: ...}``).
A list whose items share a key (two ``access`` rights for two jurisdictions) is
translated item by item instead."""


ROOT = "the statement"


def problems(statement: s.Statement) -> Iterator[Problem]:
    """Every mistake in ``translations``, each at the path of the value it concerns."""
    default = statement.languages[0]
    for language, block in statement.translations.items():
        base: Path = ("translations", language)
        if language == default:
            yield Problem(
                base,
                f"{language!r} is the statement's default language (the first of "
                "languages): its text is the statement itself, not a translation",
            )
        elif language not in statement.languages:
            declared = ", ".join(statement.languages)
            yield Problem(base, f"language {language!r} is not declared in languages ({declared})")
        else:
            yield from _walk(statement, block, base, ROOT)


def _walk(element: BaseModel, block: Any, path: Path, label: str) -> Iterator[Problem]:
    if not isinstance(block, Mapping):
        yield Problem(path, f"the translation of {label} must be a mapping of its keys")
        return
    texts = TEXT.get(type(element), ())
    for name, value in block.items():
        here = (*path, name)
        if name in texts:
            yield from _text(getattr(element, name), value, here, _join(label, name))
            continue
        if name not in type(element).model_fields:
            hint = (
                " (a key with no value: an unquoted comma in a {...} mapping cuts the text"
                ' there; quote the whole value, "like, this")'
                if value is None
                else ""
            )
            yield Problem(here, _unknown(element, name, label) + hint)
            continue
        child = getattr(element, name)
        if isinstance(child, BaseModel):
            yield from _walk(child, value, here, _join(label, name))
        elif _is_elements(child):
            yield from _items(child, value, here, _join(label, name))
        elif child is None or child == ():
            yield Problem(
                here, f"{_join(label, name)} is not declared, so has nothing to translate"
            )
        else:
            yield Problem(here, _unknown(element, name, label))


def _join(label: str, name: str) -> str:
    return name if label == ROOT else f"{label}.{name}"


def _unknown(element: BaseModel, name: str, label: str) -> str:
    shown = [*TEXT.get(type(element), ()), *_containers(element)]
    what = ", ".join(shown) if shown else "nothing"
    return f"{name!r} cannot be translated in {label} (translatable: {what})"


def _containers(element: BaseModel) -> list[str]:
    return [
        name
        for name in type(element).model_fields
        if isinstance(getattr(element, name), BaseModel) or _is_elements(getattr(element, name))
    ]


def _is_elements(value: Any) -> bool:
    return isinstance(value, tuple) and bool(value) and isinstance(value[0], BaseModel)


def _text(original: Any, value: Any, path: Path, label: str) -> Iterator[Problem]:
    if original is None:
        yield Problem(path, f"{label} has no text in the default language to translate")
    elif isinstance(original, tuple):
        if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            yield Problem(path, f"{label} must be a list of texts, like the statement's")
        elif len(value) != len(original):
            yield Problem(
                path,
                f"{label} has {len(original)} items in the statement and {len(value)} here: "
                "translate each, in order",
            )
    elif not isinstance(value, str) or not value.strip():
        yield Problem(path, f"{label} must be a text")


def _items(elements: tuple[Any, ...], value: Any, path: Path, label: str) -> Iterator[Problem]:
    if isinstance(value, list):
        if len(value) != len(elements):
            yield Problem(
                path,
                f"{label} has {len(elements)} items in the statement and {len(value)} here: "
                "translate each, in order (or by id)",
            )
            return
        for index, (element, block) in enumerate(zip(elements, value, strict=True)):
            if block is not None:
                yield from _walk(element, block, (*path, index), f"{label}[{index}]")
        return
    if not isinstance(value, Mapping):
        yield Problem(path, f"{label} must be a mapping by id, or a list in order")
        return
    keyed = _by_key(elements)
    if keyed is None:
        yield Problem(path, f"the items of {label} have no unique id: translate them as a list")
        return
    for ident, block in value.items():
        if str(ident) not in keyed:
            yield Problem((*path, ident), f"{label} has no item {ident!r}")
        else:
            yield from _walk(keyed[str(ident)], block, (*path, ident), _join(label, str(ident)))


def _by_key(elements: Sequence[Any]) -> dict[str, Any] | None:
    """The items of a list by their key, or ``None`` if they have none or share one."""
    field = KEYS.get(type(elements[0]))
    if field is None:
        return None
    found = {str(getattr(e, field)): e for e in elements}
    return found if len(found) == len(elements) else None


# --------------------------------------------------------------------------- missing


def missing(statement: s.Statement, language: str) -> Iterator[Path]:
    """The paths (into the statement) of each text ``language``'s block does not give."""
    block = statement.translations.get(language)
    if block is None:
        return
    yield from _missing(statement, block, ())


def _missing(element: BaseModel, block: Any, path: Path) -> Iterator[Path]:
    block = block if isinstance(block, Mapping) else {}
    for name in TEXT.get(type(element), ()):
        original = getattr(element, name)
        if original not in (None, ()) and name not in block:
            yield (*path, name)
    for name in _containers(element):
        child, given = getattr(element, name), block.get(name)
        if isinstance(child, BaseModel):
            yield from _missing(child, given, (*path, name))
            continue
        for index, item in enumerate(child):
            yield from _missing(item, _item_block(child, index, given), (*path, name, index))


def _item_block(elements: tuple[Any, ...], index: int, given: Any) -> Any:
    """The translation given for ``elements[index]``, by position or by its key."""
    if isinstance(given, list):
        return given[index] if index < len(given) else None
    if isinstance(given, Mapping):
        field = KEYS.get(type(elements[index]))
        return given.get(str(getattr(elements[index], field))) if field else None
    return None


# --------------------------------------------------------------------------- localised


def language_of(statement: s.Statement, language: str | None) -> str | None:
    """The declared language ``language`` (``de``, ``de-AT``) names, that has text."""
    if not language:
        return None
    wanted = language.lower()
    for tag in statement.translations:
        if tag.lower() == wanted:
            return tag
    base = wanted.split("-")[0]
    return next((t for t in statement.translations if t.lower().split("-")[0] == base), None)


_LOCALISED: dict[tuple[int, str], tuple[s.Statement, s.Statement]] = {}


def localised(statement: s.Statement, language: str | None) -> s.Statement:
    """``statement`` with ``language``'s text in place of the default's, text by text;
    any text the language does not give stays the default's. The default language, or
    one without a block, gives ``statement`` itself."""
    tag = language_of(statement, language)
    if tag is None:
        return statement
    key = (id(statement), tag)
    cached = _LOCALISED.get(key)
    if cached is not None and cached[0] is statement:
        return cached[1]
    found: s.Statement = _apply(statement, statement.translations[tag])
    if len(_LOCALISED) >= 64:
        _LOCALISED.clear()
    _LOCALISED[key] = (statement, found)
    return found


def _apply(element: Any, block: Any) -> Any:
    if not isinstance(block, Mapping):
        return element
    texts = TEXT.get(type(element), ())
    update: dict[str, Any] = {}
    for name, value in block.items():
        if name not in type(element).model_fields:
            continue
        child = getattr(element, name)
        if name in texts:
            update[name] = tuple(value) if isinstance(child, tuple) else value
        elif isinstance(child, BaseModel):
            update[name] = _apply(child, value)
        elif _is_elements(child):
            update[name] = tuple(
                _apply(item, _item_block(child, index, value)) for index, item in enumerate(child)
            )
    return element.model_copy(update=update) if update else element
