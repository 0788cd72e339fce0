"""What the ledger hands back: small frozen values, one per kind of row.

Rows are read into these so that callers never hold a live database object; a ``Record``
carries its value already decrypted. ``from_row`` maps a database row onto one of them by
column name, the one place where rows become values.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Any, TypeVar

from keepfaith.clock import utc


class Status(StrEnum):
    """Where a subject's relationship with the company stands."""

    ACTIVE = "active"
    DEACTIVATED = "deactivated"
    DELETED = "deleted"


class ConsentState(StrEnum):
    """Where a person's choice stands: the names the ledger, the engine, the privacy
    center and the API all use."""

    GIVEN = "given"
    """The latest counting event gave (or reaffirmed) it."""
    WITHDRAWN = "withdrawn"
    """The latest counting event withdrew it, or objected to an opt-out use."""
    NOT_SET = "not_set"
    """No counting event yet: the statement's default applies."""


class ConsentKind(StrEnum):
    """What a consent event says about a choice."""

    GIVEN = "given"
    WITHDRAWN = "withdrawn"
    """Consent withdrawn, or an objection to an opt-out use."""
    REAFFIRMED = "reaffirmed"
    NOTIFIED = "notified"
    """The person was told of a new use and given the choice (ES-03); not consent itself."""


class ConsentMethod(StrEnum):
    """How the person expressed the choice."""

    EXPLICIT = "explicit"
    """An explicit action: ticking an unticked box, pressing a button."""
    REPLY_EMAIL = "reply_email"
    LINK = "link"
    GPC = "gpc"
    """A Global Privacy Control signal from the browser."""
    STAFF = "staff"
    DEFAULT = "default"
    """A default or pre-ticked value: recorded, but never consent (EZ-14)."""


def counts(method: ConsentMethod | str, evidence: Mapping[str, Any]) -> bool:
    """Whether an event expresses the person's own choice (EZ-14).

    A ``default`` method, or evidence saying the box was pre-ticked, records what was
    shown but is not consent nor objection.
    """
    return ConsentMethod(method) is not ConsentMethod.DEFAULT and not evidence.get("pre_ticked")


def recipient_choice(recipient: str) -> str:
    """The consent choice for sharing with a recipient (``recipient:affiliates``)."""
    return f"recipient:{recipient}"


@dataclass(frozen=True)
class StatementVersion:
    tenant: str
    version: str
    text: str
    published_at: dt.datetime


@dataclass(frozen=True)
class Subject:
    """A person the company holds data about, in one tenant."""

    id: int
    tenant: str
    kind: str
    statement_version: str
    status: Status = Status.ACTIVE
    known_child: bool = False
    gpc: bool = False
    reference: str | None = None
    created_at: dt.datetime | None = None
    gpc_at: dt.datetime | None = None
    """When the first Global Privacy Control signal of the person was recorded."""
    jurisdiction: str | None = None
    """The statement's jurisdiction the person is in, when known."""
    restricted_at: dt.datetime | None = None
    """Since when processing is restricted at the person's request (GDPR art. 18)."""
    dnt_at: dt.datetime | None = None
    """When the first Do Not Track signal of the person was recorded."""
    age_under: int | None = None
    """An age the person is known to be under (16, say), when known."""
    language: str | None = None
    """The statement's language the person last used (a page, a form, the API), when
    known: their messages are written in it."""


@dataclass(frozen=True)
class Record:
    """One personal-data value, with where it came from and what it was collected for."""

    id: int
    tenant: str
    subject_id: int | None
    category: str
    value: str | None
    purposes: tuple[str, ...]
    statement_version: str
    collection_point: str | None = None
    source: str | None = None
    provenance: Mapping[str, Any] = field(default_factory=dict)
    anonymous: bool = False
    collected_at: dt.datetime | None = None


@dataclass(frozen=True)
class ConsentEvent:
    """One event of the append-only consent history."""

    id: int
    tenant: str
    subject_id: int
    choice: str
    kind: ConsentKind
    method: ConsentMethod
    counts: bool
    evidence: Mapping[str, Any]
    statement_version: str
    at: dt.datetime


@dataclass(frozen=True)
class Hold:
    """A reason to keep (and only keep) a subject's data, until a time or release."""

    id: int
    tenant: str
    subject_id: int
    reason: str
    until: dt.datetime | None
    created_at: dt.datetime
    released_at: dt.datetime | None = None


@dataclass(frozen=True)
class Disclosure:
    """One entry of the disclosure log."""

    id: int
    tenant: str
    subject_id: int | None
    recipient: str
    categories: tuple[str, ...]
    basis: str
    purpose: str | None
    country: str | None
    reference: str | None
    anonymous: bool
    at: dt.datetime
    clauses: tuple[str, ...] | None = None
    statement_version: str | None = None
    dropped: tuple[str, ...] | None = None
    """Categories asked for that the recipient may not receive: never sent."""
    mechanism: str | None = None
    """The safeguard of a transfer abroad (adequacy, clauses, a framework)."""
    legal_request_id: int | None = None


Row = TypeVar("Row")


def from_row(cls: type[Row], row: Any, /, **values: Any) -> Row:
    """``cls`` (one of the dataclasses above) from a database row, field by column name.

    ``values`` gives fields the row does not hold as they are (a decrypted value, the
    purposes from another table). Times become aware UTC, enums their members, JSON
    lists tuples and JSON objects dicts, as each field's type says.
    """
    mapping = row._mapping
    converters = _CONVERTERS.get(cls) or _converters(cls)
    for name, convert in converters:
        if name not in values:
            value = mapping[name]
            values[name] = None if value is None else convert(value)
    return cls(**values)


_CONVERTERS: dict[type, tuple[tuple[str, Callable[[Any], Any]], ...]] = {}


def _converters(cls: type) -> tuple[tuple[str, Callable[[Any], Any]], ...]:
    hints = typing.get_type_hints(cls)
    found = tuple((f.name, _converter(hints[f.name])) for f in dataclasses.fields(cls))
    _CONVERTERS[cls] = found
    return found


def _converter(hint: Any) -> Callable[[Any], Any]:
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        [hint] = [arg for arg in typing.get_args(hint) if arg is not type(None)]
    origin = typing.get_origin(hint) or hint
    if origin is dt.datetime:
        return utc
    if origin is tuple:
        return tuple
    if isinstance(origin, type) and issubclass(origin, Enum):
        return origin
    if origin is Mapping or origin is dict:
        return dict
    if origin is bool:
        return bool
    return _same


def _same(value: Any) -> Any:
    return value
