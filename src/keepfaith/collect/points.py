"""Submitting data at a declared collection point.

A collection point is a promise about what is asked and why: its fields, which of them
are required, and the purposes stated to the person. ``submit`` keeps that promise for
one submission:

- a field the point does not declare is refused (SC-01), and so is a missing required
  field (PA-06); every problem is reported by field, and nothing is stored;
- a person under the statement's minimum age is refused and nothing is stored (PA-27);
  the error names the rule, never the age given;
- national-identity-like numbers are removed from free text before storage (PA-08);
- an embedded widget accepts technical categories only (ES-14);
- every record carries the purposes stated at the point, the statement version and its
  provenance (the point, and for imports the outside source);
- a ``detached`` point (feedback, PA-25) stores records linked to no one;
- consent is given only by ticking one of the point's ``consent_for`` boxes, which are
  unticked by default; a value sent as a default is recorded as such and is not consent
  (EZ-14).

Everything is stored in one ledger transaction, so a submission is kept whole or not at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from keepfaith.collect import values as values_kind
from keepfaith.collect.accounts import (
    CREDENTIALS_CATEGORY,
    EMAIL_CATEGORY,
    MIN_PASSWORD,
    offers_login,
    store_login,
)
from keepfaith.collect.consent import record_gpc
from keepfaith.collect.redact import redact
from keepfaith.engine.compile import gpc_purposes
from keepfaith.exceptions import InvalidSubmission, NotFound, Refused
from keepfaith.ledger import (
    ConsentKind,
    ConsentMethod,
    Ledger,
    Subject,
    Transaction,
    consents,
    records,
    subjects,
)
from keepfaith.statement.schema import (
    CollectionKind,
    CollectionPoint,
    FormField,
    Statement,
    is_technical,
)
from keepfaith.translatable import N_

TICKED = frozenset({True, "on", "true", "yes", "1"})
"""Values a ticked checkbox sends (HTML sends ``on``; JSON clients ``true``)."""

DEFAULT = "default"
"""What a client sends for a box it did not let the person touch: recorded, not consent."""

AGE_CATEGORIES = ("user.demographic.age", "user.demographic.date_of_birth")
"""Fields of these categories (and their sub-categories) feed the age gate."""

MAX_FIELD_LENGTH = values_kind.MAX_TEXT
"""Longest value one field may carry, in characters (free text; one line is shorter)."""

NEVER_SHOWN_AGAIN = (
    CREDENTIALS_CATEGORY,
    "user.financial",
    "user.payment",
    "user.government_id",
    "user.health_and_medical",
    "user.biometric",
)
"""Categories a form never fills back in after a refusal, whatever the statement says."""


@dataclass(frozen=True)
class Submission:
    """What a submission stored."""

    tenant: str
    point: str
    statement_version: str
    subject_id: int | None
    """The person the records belong to; ``None`` at a detached point."""
    records: tuple[int, ...]
    consent_events: tuple[int, ...]
    consented: tuple[str, ...]
    """Purposes the person ticked."""
    redacted: tuple[str, ...]
    """Fields from which national-identity-like numbers were removed."""


def collection_point(statement: Statement, point_id: str) -> CollectionPoint:
    """The declared point; ``NotFound`` for an id the statement does not declare."""
    for point in statement.collection_points:
        if point.id == point_id:
            return point
    raise NotFound(f"{statement.id} declares no collection point {point_id!r}")


def shown_again(
    statement: Statement, point: CollectionPoint, values: Mapping[str, str]
) -> dict[str, str]:
    """What a refused form may fill back in: never a sensitive category (the statement's
    or ``NEVER_SHOWN_AGAIN``) nor a password, and free text only with national-identity-
    like numbers removed, so a page, its cache or a shoulder never shows them again."""
    sensitive = {c.id for c in statement.categories if c.sensitive}
    shown: dict[str, str] = {}
    for field in point.fields:
        value = values.get(field.name)
        if value is None or field.category in sensitive:
            continue
        if any(_within(field.category, prefix) for prefix in NEVER_SHOWN_AGAIN):
            continue
        shown[field.name] = redact(value)[0] if field.free_text else value
    return shown


def _within(category: str, prefix: str) -> bool:
    return category == prefix or category.startswith(prefix + ".")


def submit(
    ledger: Ledger,
    statement: Statement,
    point_id: str,
    fields: Mapping[str, object],
    *,
    subject: Subject | None = None,
    subject_kind: str | None = None,
    consents: Mapping[str, object] | None = None,
    age: int | dt.date | None = None,
    at: dt.datetime | None = None,
    actor: str = "web",
    secret_key: str | None = None,
    gpc: bool = False,
    region: str | None = None,
    language: object = None,
) -> Submission:
    """Store one submission at a declared collection point, or refuse it whole.

    ``fields`` maps the point's field names to values; ``consents`` maps purposes of the
    point's ``consent_for`` to the checkbox value. ``age`` (years, or a birth date) feeds
    the age gate, as does any field of an age category. ``subject`` adds the records to a
    known person; otherwise a new subject of ``subject_kind`` (the point's first subject
    kind by default) is created, except at a detached point. Raises ``InvalidSubmission``
    (field -> reason), ``Refused`` for a single-use point, ``NotFound`` for an unknown one.

    ``region`` (``DE``, ``US-CA``) places the person in one of the statement's
    jurisdictions. ``gpc``: the request carried a Global Privacy Control signal,
    recorded on the person in the same transaction (``consent.record_gpc``).
    ``language``: the language the person used (the form page's, the API's), kept on
    them where the statement declares it and ignored otherwise; their messages are
    written in it.

    A password field (category ``user.authorization``) is never stored as a value; with
    ``secret_key`` and a statement that offers login, it becomes the person's password
    for the privacy center, with the submitted email address as their login.
    """
    point = collection_point(statement, point_id)
    if point.single_use:
        raise Refused(f"collection point {point.id!r} is single-use: send it through messaging")
    values, errors = _check_fields(point, fields, region)
    ticked, defaults = _check_consents(point, consents or {}, errors)
    youngest = _check_age(statement, point, values, age, at or ledger.clock(), errors)
    jurisdiction = statement.jurisdiction_of(region) if region else None
    if region and jurisdiction is None and statement.jurisdictions:
        errors["region"] = N_("is in none of the statement's jurisdictions")
    kind = _subject_kind(point, subject, subject_kind, errors)
    if errors:
        raise InvalidSubmission(errors)
    with ledger.transaction(actor=actor) as tx:
        done = _store(tx, statement, point, values, ticked, defaults, subject, kind, at)
        if secret_key and done.subject_id is not None:
            _set_login(tx, statement, point, values, secret_key, done.subject_id)
        if done.subject_id is not None:
            _set_law(tx, statement, done.subject_id, jurisdiction, _age_under(statement, youngest))
        if gpc and done.subject_id is not None:
            person = subjects.get(tx, statement.id, done.subject_id)
            record_gpc(tx, person, evidence={"via": point.id})
        if language is not None and done.subject_id is not None:
            subjects.set_language(tx, subjects.get(tx, statement.id, done.subject_id), language)
        return done


# --------------------------------------------------------------------------- checks


def _check_fields(
    point: CollectionPoint, fields: Mapping[str, object], region: str | None = None
) -> tuple[dict[str, str], dict[str, str]]:
    """Declared, present and well-typed fields as text, and the problems by field: each
    value is checked for the kind of its category (``keepfaith.collect.values``)."""
    declared = {f.name: f for f in point.fields}
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    for name, raw in fields.items():
        field = declared.get(name)
        if field is None:
            errors[name] = f"not a field of {point.id}: this point does not collect it"
        elif point.kind is CollectionKind.WIDGET and not is_technical(field.category):
            errors[name] = N_("an embedded widget collects technical data (browser, IP) only")
        elif isinstance(raw, bool) or not isinstance(raw, str | int | float | type(None)):
            errors[name] = N_("must be text")
        elif raw is not None and str(raw).strip():
            text = str(raw).strip()
            wrong = values_kind.problem(
                field.category, text, free_text=field.free_text, region=_country(region)
            )
            if wrong is not None:
                errors[name] = wrong
            elif field.category.startswith(CREDENTIALS_CATEGORY) and len(text) < MIN_PASSWORD:
                errors[name] = N_("must be at least %(n)s characters") % {"n": MIN_PASSWORD}
            else:
                values[name] = text
    for field in point.fields:
        if field.required and field.name not in values and field.name not in errors:
            errors[field.name] = N_("is required")
    if not values and not errors:
        errors["fields"] = N_("nothing was given: fill in at least one field")
    return values, errors


def _country(region: str | None) -> str | None:
    """The country of an ISO 3166 region (``US-CA`` -> ``US``), for phone numbers."""
    return region.split("-")[0].upper() if region else None


def _check_consents(
    point: CollectionPoint, consents: Mapping[str, object], errors: dict[str, str]
) -> tuple[list[str], list[str]]:
    """Purposes ticked, and purposes sent as a default (recorded, never consent)."""
    ticked: list[str] = []
    defaults: list[str] = []
    for purpose, value in consents.items():
        if purpose not in point.consent_for:
            errors[f"consent.{purpose}"] = f"{point.id} offers no consent for this purpose"
        elif value == DEFAULT:
            defaults.append(purpose)
        elif isinstance(value, bool | str | int) and value in TICKED:
            ticked.append(purpose)
    return ticked, defaults


def _check_age(
    statement: Statement,
    point: CollectionPoint,
    values: Mapping[str, str],
    age: int | dt.date | None,
    now: dt.datetime,
    errors: dict[str, str],
) -> int | None:
    """Add an error for a person under the minimum age (it never repeats the age given);
    return the youngest age given, if any."""
    if statement.children is None:
        return None
    today = now.date()
    given: list[tuple[str, int]] = []
    if age is not None:
        given.append(("age", _years(age, today)))
    for field in point.fields:
        if field.name in values and field.category.startswith(AGE_CATEGORIES):
            years = _field_years(field, values[field.name], today)
            if years is None:
                errors[field.name] = N_("must be an age in years or a date")
            else:
                given.append((field.name, years))
    for name, years in given:
        wrong = values_kind.age_problem(years)
        if wrong is not None:
            errors[name] = wrong
    given = [(name, years) for name, years in given if name not in errors]
    minimum = statement.children.minimum_age
    if minimum is not None:
        errors.update({name: _under_age(statement) for name, years in given if years < minimum})
    return min((years for _, years in given), default=None)


def _age_under(statement: Statement, youngest: int | None) -> int | None:
    """The smallest age of a children's rule the person is known to be under."""
    if youngest is None or statement.children is None:
        return None
    return min((r.under for r in statement.children.rules if youngest < r.under), default=None)


def _under_age(statement: Statement) -> str:
    minimum = statement.children.minimum_age if statement.children else 0
    return N_("you must be at least %(n)s years old to give us information here") % {"n": minimum}


def _years(age: int | dt.date, today: dt.date) -> int:
    if isinstance(age, dt.date):
        before_birthday = (today.month, today.day) < (age.month, age.day)
        return today.year - age.year - before_birthday
    return int(age)


def _field_years(field: FormField, value: str, today: dt.date) -> int | None:
    """Years from an age field: ``34``, ``25-34`` (its lower bound) or a birth date."""
    try:
        return _years(dt.date.fromisoformat(value), today)
    except ValueError:
        pass
    head = value.split("-")[0].strip().rstrip("+")
    # ASCII only: str.isdigit() is true of '²', which int() refuses.
    return int(head) if head.isascii() and head.isdigit() else None


def _subject_kind(
    point: CollectionPoint,
    subject: Subject | None,
    kind: str | None,
    errors: dict[str, str],
) -> str:
    """The kind of person the submission is from, checked with the other fields."""
    chosen = subject.kind if subject is not None else (kind or point.subjects[0])
    if chosen not in point.subjects:
        errors["subject_kind"] = f"{point.id} does not collect from this kind"
    return chosen


# --------------------------------------------------------------------------- storage


def _store(
    tx: Transaction,
    statement: Statement,
    point: CollectionPoint,
    values: Mapping[str, str],
    ticked: list[str],
    defaults: list[str],
    subject: Subject | None,
    kind: str,
    at: dt.datetime | None,
) -> Submission:
    tenant, version = statement.id, statement.version
    if point.detached:
        owner = None  # feedback: stored tied to no one (PA-25), so no consent either
    elif subject is not None:
        owner = subjects.get(tx, tenant, subject.id)
        if owner.known_child:
            raise InvalidSubmission({"age": _under_age(statement)})
        blocked = gpc_purposes(statement, owner.jurisdiction) if owner.gpc else frozenset()
        refused = {
            f"consent.{p}": "your Global Privacy Control signal opts you out of this, and it "
            "stays off while the signal stands"
            for p in ticked
            if p in blocked
        }
        if refused:
            raise InvalidSubmission(refused)
    else:
        owner = subjects.add(tx, tenant, kind, statement_version=version)
    declared = {f.name: f for f in point.fields}
    record_ids: list[int] = []
    redacted: list[str] = []
    for name, value in values.items():
        field = declared[name]
        text, removed = redact(value) if field.free_text else (value, 0)
        # A password is never kept as a value; see _set_login.
        stored = None if field.category.startswith(CREDENTIALS_CATEGORY) else text
        if removed:
            redacted.append(name)
        record = records.add(
            tx,
            owner,
            field.category,
            stored,
            tenant=tenant,
            collection_point=point.id,
            source=point.source if point.kind is CollectionKind.IMPORT else None,
            statement_version=version,
            provenance=_provenance(point, name, removed),
            at=at,
        )
        record_ids.append(record.id)
    events = _consent_events(tx, point, owner, ticked, defaults, at)
    return Submission(
        tenant,
        point.id,
        version,
        owner.id if owner else None,
        tuple(record_ids),
        tuple(events),
        tuple(ticked) if owner else (),
        tuple(redacted),
    )


def _set_law(
    tx: Transaction,
    statement: Statement,
    subject_id: int,
    jurisdiction: str | None,
    age_under: int | None,
) -> None:
    """Where the person is, and an age they are known to be under, when learnt here."""
    person = subjects.get(tx, statement.id, subject_id)
    if jurisdiction is not None and person.jurisdiction != jurisdiction:
        person = subjects.set_jurisdiction(tx, person, jurisdiction)
    if age_under is not None and (person.age_under is None or age_under < person.age_under):
        subjects.set_age_under(tx, person, age_under)


def _set_login(
    tx: Transaction,
    statement: Statement,
    point: CollectionPoint,
    values: Mapping[str, str],
    secret_key: str,
    subject_id: int,
) -> None:
    """Make a submitted password the person's privacy-center login, where offered."""
    fields = {f.category: f.name for f in reversed(point.fields)}
    password = next(
        (values.get(f.name) for f in point.fields if f.category.startswith(CREDENTIALS_CATEGORY)),
        None,
    )
    email = values.get(fields.get(EMAIL_CATEGORY, ""))
    if password and email and offers_login(statement):
        store_login(
            tx, statement, secret_key, subjects.get(tx, statement.id, subject_id), email, password
        )


def _provenance(point: CollectionPoint, field: str, removed: int) -> dict[str, object]:
    provenance: dict[str, object] = {
        "collection_point": point.id,
        "kind": point.kind.value,
        "field": field,
    }
    if point.kind is CollectionKind.IMPORT and point.source:
        provenance["source"] = point.source
    if removed:
        provenance["redacted_national_ids"] = removed
    return provenance


def _consent_events(
    tx: Transaction,
    point: CollectionPoint,
    owner: Subject | None,
    ticked: list[str],
    defaults: list[str],
    at: dt.datetime | None,
) -> list[int]:
    if owner is None:
        return []
    evidence = {"collection_point": point.id, "control": "checkbox", "pre_ticked": False}
    events = [
        consents.record(
            tx,
            owner,
            purpose,
            kind=ConsentKind.GIVEN,
            method=ConsentMethod.EXPLICIT,
            evidence=evidence,
            at=at,
        )
        for purpose in ticked
    ]
    events += [
        consents.record(
            tx,
            owner,
            purpose,
            kind=ConsentKind.GIVEN,
            method=ConsentMethod.DEFAULT,
            evidence={**evidence, "sent_as_default": True},
            at=at,
        )
        for purpose in defaults
    ]
    return [event.id for event in events]
