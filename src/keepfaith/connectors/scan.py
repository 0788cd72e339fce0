"""Discovery: propose a dataset map for a database, column by column, with the evidence.

Each column is judged on what can be known of it without keeping a single value:

1. its name and comment (``lexicon``: words, abbreviations, other languages);
2. its type and constraints (a number is not an email; a primary key is a key);
3. a bounded sample of its values, counted by validators made for each kind
   (``validators``; the sample is read by ``sample`` and forgotten once counted);
4. its foreign keys: a key to a table already judged to hold people is that person's id.

Then each table whose rows are people gets its identity columns (email, phone number,
its own id), and every personal column an erasure strategy. ``scan`` returns the proposed
map merged with the map staff already reviewed, and only the difference as ``changes``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import sqlalchemy as sa

from keepfaith.connectors import lexicon, validators
from keepfaith.connectors.datamap import Column, DatasetMap, Erasure, Table
from keepfaith.connectors.graph import foreign_key_edges
from keepfaith.connectors.reflect import (
    BINARY,
    BOOLEAN,
    DATE,
    DATETIME,
    DECIMAL,
    INTEGER,
    TEXT,
    ColumnInfo,
    Schema,
    TableInfo,
    open_database,
    reflect,
    unreadable,
)
from keepfaith.connectors.sample import sample_all, sampled_columns
from keepfaith.connectors.taxonomy import is_personal

DEFAULT_SAMPLE_SIZE = 50

TEXT_CATEGORIES = (
    "user.contact",
    "user.name",
    "user.account.username",
    "user.job_title",
    "user.workplace",
    "user.demographic.gender",
    "user.demographic.marital_status",
    "user.device.ip_address",
    "user.financial.bank_account",
    "user.government_id",
)
"""Categories held as text: a name that says one of them on a number column is wrong."""
DATE_CATEGORIES = ("user.demographic.date_of_birth",)
PRIVATE = "user.content.private"
COARSE_LOCATION = (
    "user.contact.address.city",
    "user.contact.address.state",
    "user.contact.address.country",
)


@dataclass
class Judgement:
    """What the scanner concluded of one column, and why (never a value)."""

    categories: tuple[str, ...] = ()
    confidence: float = 0.5
    evidence: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Change:
    """One difference between the reviewed map and the database as scanned now."""

    kind: str
    """``added`` (a new table or column), ``removed`` (gone from the database) or
    ``proposed`` (an unreviewed column whose proposal changed)."""
    table: str
    column: str | None = None

    def __str__(self) -> str:
        where = f"{self.table}.{self.column}" if self.column else f"table {self.table}"
        return f"{self.kind}: {where}"


@dataclass(frozen=True)
class ScanResult:
    map: DatasetMap
    changes: tuple[Change, ...]
    schema: Schema
    seconds: float


def scan(
    url: str | sa.URL | sa.Engine,
    key: str,
    *,
    sample_size: int = DEFAULT_SAMPLE_SIZE,
    schema: str | None = None,
    reviewed: DatasetMap | None = None,
) -> ScanResult:
    """Reflect and sample the database, and propose its map (merged with ``reviewed``)."""
    started = time.perf_counter()
    engine = url if isinstance(url, sa.Engine) else open_database(url)
    try:
        with engine.connect() as connection:
            reflected = reflect(connection, schema)
            value_evidence = _count_values(connection, reflected, sample_size, schema)
    except sa.exc.OperationalError as error:
        raise unreadable(engine, error) from None
    finally:
        if not isinstance(url, sa.Engine):
            engine.dispose()
    proposed = propose(reflected, value_evidence, key)
    merged, changes = merge(reviewed, proposed) if reviewed else (proposed, _all_added(proposed))
    return ScanResult(merged, tuple(changes), reflected, time.perf_counter() - started)


# ---------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Values:
    """What a column's sampled values showed, in counts: never a value."""

    sampled: int = 0
    counts: tuple[validators.Count, ...] = ()
    dates: validators.Dates | None = None


ValueEvidence = dict[str, Values]
"""A table's ``Values`` by column."""


def named(column: ColumnInfo) -> tuple[str, ...]:
    """The categories the column's name or comment says, in a table of people or not."""
    return _named(column.name, column.comment)


@lru_cache(maxsize=4096)
def _named(name: str, comment: str | None) -> tuple[str, ...]:
    said = {_said_of(name, comment, person_table) for person_table in (False, True)}
    return tuple(sorted({category for category, _ in filter(None, said)}))


def to_sample(table: TableInfo) -> list[ColumnInfo]:
    """The columns of ``table`` whose values could change its verdict, so are read: text
    and dates, but keys (judged by their table) and columns whose name says they are
    the system's (``last_update``, ``hire_date``) wherever the table turns out to be."""
    keyed = {c for key in table.foreign_keys for c in key.columns}
    return [
        column
        for column in sampled_columns(table)
        if column.name not in keyed and not _the_systems(column)
    ]


def _the_systems(column: ColumnInfo) -> bool:
    """Whether the name (or comment) says "the system's" in a table of people and in any
    other: ``judge`` then reads no value of it."""
    for person_table in (False, True):
        said = _said(column, person_table)
        if said is None or said[0] != lexicon.NOT_PERSONAL:
            return False
    return True


def weigh_sample(column: ColumnInfo, values: list[object]) -> Values:
    """The counts of one column's sampled values: the checks its values pass (of text;
    only the checks that could matter given its name), and how they read as dates."""
    counts: list[validators.Count] = []
    said = named(column)
    if column.kind != TEXT:
        return Values(len(values), (), validators.birth_dates(values))
    counts = validators.count_text([str(v) for v in values], said)
    # Text read as dates only where its name says a birth date (``judge`` reads text
    # dates nowhere else).
    dates = validators.birth_dates(values) if any(c in DATE_CATEGORIES for c in said) else None
    return Values(len(values), tuple(counts), dates)


def _count_values(
    connection: sa.Connection, schema: Schema, size: int, name: str | None
) -> dict[str, ValueEvidence]:
    """Counts per table and column; the sampled values go out of scope here."""
    wanted = [(table, to_sample(table)) for table in schema.tables.values()]
    samples = sample_all(connection, wanted, size, name, validators.MAX_CHARS)
    found: dict[str, ValueEvidence] = {}
    for table, columns in wanted:
        values = samples.get(table.name, {})
        found[table.name] = {c.name: weigh_sample(c, values.get(c.name, [])) for c in columns}
    return found


# ---------------------------------------------------------------------------- proposal


def propose(schema: Schema, evidence: dict[str, ValueEvidence], key: str) -> DatasetMap:
    """The map the evidence points to, every column unreviewed."""
    first = {
        name: {
            c.name: judge(c, table, evidence.get(name, {}), person_table=False)
            for c in table.columns
        }
        for name, table in schema.tables.items()
    }
    people = _people(schema, first)
    judged = {
        name: {
            # In a table of people a name may say more (``name``, ``title``): judged again
            # only where it does.
            c.name: judge(c, table, evidence.get(name, {}), person_table=True)
            if name in people and _said(c, True) != _said(c, False)
            else first[name][c.name]
            for c in table.columns
        }
        for name, table in schema.tables.items()
    }
    for name in people:
        _family_name_beside_first_name(judged[name])
    _keys_to_people(schema, people, judged)
    tables = tuple(
        _TABLE.model_copy(
            update={"name": name, "columns": _columns(table, judged[name], name in people)}
        )
        for name, table in schema.tables.items()
    )
    return DatasetMap(key=key).model_copy(update={"tables": tables})


# The proposal's models are copies of blank ones (``model_copy``, pydantic's copy without
# validation, a sixth of the cost of building a model): every name comes from the
# database's catalog, every category from the lexicon and the checks, all fideslang keys
# (the tests validate the proposals again). The key is the caller's, so validated; a map
# read from a file is always validated (``datamap.parse``).
_TABLE = Table(name="table")
_COLUMN = Column(name="column")


def judge(
    column: ColumnInfo, table: TableInfo, evidence: ValueEvidence, *, person_table: bool
) -> Judgement:
    """One column's category from its name, comment, type and sampled values."""
    verdict = Judgement()
    said = _said(column, person_table)
    values = evidence.get(column.name, Values())
    if column.primary_key or _is_foreign_key(column, table):
        verdict.evidence.append("a key column: judged by the table it belongs or points to")
        verdict.confidence = 0.8
        return verdict
    if said is not None:
        category, where = said
        if category == lexicon.NOT_PERSONAL:
            verdict.evidence.append(f"{where} says it is about the system, not a person")
            verdict.confidence = 0.85
            return verdict
        if not _type_fits(category, column):
            verdict.evidence.append(
                f"{where} suggests {category}, but its type {column.type} does not fit"
            )
            verdict.confidence = 0.6
            return verdict
        verdict.categories = (category,)
        verdict.confidence = 0.75
        verdict.evidence.append(f"{where} suggests {category}")
    _weigh_values(verdict, values, column)
    if column.kind == BOOLEAN and not verdict.categories:
        verdict.evidence.append("a yes/no flag")
    return verdict


def _said(column: ColumnInfo, person_table: bool) -> tuple[str, str] | None:
    """The category the column's name (else its comment) says, and which of them said it."""
    return _said_of(column.name, column.comment, person_table)


@lru_cache(maxsize=4096)
def _said_of(name: str, comment: str | None, person_table: bool) -> tuple[str, str] | None:
    """``_said`` by the name and comment alone (the catalog's words, never a value)."""
    for text, where in (
        (name, f"the name {name!r}"),
        (comment or "", "its comment"),
    ):
        for meaning in lexicon.meanings(text):
            if meaning.person_only and not person_table:
                continue
            if meaning.person_only:
                where += " in a table of people"
            return meaning.category, where
    return None


def _type_fits(category: str, column: ColumnInfo) -> bool:
    if any(category.startswith(prefix) for prefix in TEXT_CATEGORIES):
        return column.kind in (TEXT, "other")
    if category in DATE_CATEGORIES:
        return column.kind in (DATE, DATETIME, TEXT)
    if category == "user.content.self_image":
        return column.kind in (BINARY, TEXT, "other")
    if category == "user.location.precise":
        return column.kind in (DECIMAL, TEXT, "other")
    return column.kind != BOOLEAN or category == "user.demographic.gender"


def _weigh_values(verdict: Judgement, values: Values, column: ColumnInfo) -> None:
    """Values confirm, correct or add to what the name said."""
    counts, dates = values.counts, values.dates
    named_as = verdict.categories[0] if verdict.categories else None
    for count in counts:
        category = count.check.category
        if count.check is validators.EMBEDDED:
            if (
                category not in verdict.categories
                and count.passed >= 2
                and 0.1 <= count.share < 0.8
            ):
                # Free text that holds addresses here and there is what people wrote.
                verdict.categories = (*(verdict.categories or (PRIVATE,)), category)
                verdict.evidence.append(str(count))
            continue
        if count.share < 0.8 or count.read < 3:
            continue
        if named_as and _related(named_as, category):
            verdict.confidence = 0.95
            verdict.evidence.append(str(count))
            return
        if count.check.decisive:
            if named_as:
                verdict.evidence.append(f"{count}: they outweigh the name")
            else:
                verdict.evidence.append(str(count))
            verdict.categories = (category,)
            verdict.confidence = 0.85 if count.share >= 0.9 else 0.75
            return
    if dates is not None:
        if named_as == "user.demographic.date_of_birth":
            if dates.looks_like_birth_dates:
                verdict.confidence = 0.95
            verdict.evidence.append(str(dates))
        elif named_as is None and dates.looks_like_birth_dates and column.kind in (DATE, DATETIME):
            verdict.categories = ("user.demographic.date_of_birth",)
            verdict.confidence = 0.7
            verdict.evidence.append(str(dates))
    if named_as is None and not verdict.categories:
        verdict.confidence = 0.7 if values.sampled else 0.6
        verdict.evidence.append("nothing in its name, type or values says personal")


def _related(named: str, found: str) -> bool:
    return named == found or named.startswith(found + ".") or found.startswith(named + ".")


def _is_foreign_key(column: ColumnInfo, table: TableInfo) -> bool:
    return any(column.name in key.columns for key in table.foreign_keys)


def _people(schema: Schema, judged: dict[str, dict[str, Judgement]]) -> set[str]:
    """The tables whose rows are people: a column of names or usernames, a person's name
    for the table with anything personal in it, or an email column in a table that does
    not point at such a table (a payment's email is the payer's, not a new person)."""
    people = set()
    for name, row in judged.items():
        held = {verdict.categories[0] for verdict in row.values() if verdict.categories}
        if any(c.startswith(("user.name", "user.account.username")) for c in held) or (
            lexicon.is_person_table(name) and any(is_personal(c) for c in held)
        ):
            people.add(name)
    for name, row in judged.items():
        held = {verdict.categories[0] for verdict in row.values() if verdict.categories}
        points_at_people = any(
            key.referred_table in people for key in schema.tables[name].foreign_keys
        )
        if "user.contact.email" in held and not points_at_people:
            people.add(name)
    return people


def _family_name_beside_first_name(row: dict[str, Judgement]) -> None:
    """A bare "name" beside a first name is the family name (French ``prenom``, ``nom``)."""
    held = [verdict.categories[:1] for verdict in row.values()]
    if ("user.name.first",) not in held or ("user.name.last",) in held:
        return
    for verdict in row.values():
        if (
            verdict.categories == ("user.name",)
            and verdict.evidence
            and "in a table of people" in verdict.evidence[0]
        ):
            verdict.categories = ("user.name.last",)
            verdict.evidence.insert(0, "beside a first-name column, a bare name is the family name")


def _keys_to_people(
    schema: Schema, people: set[str], judged: dict[str, dict[str, Judgement]]
) -> None:
    """A person table's own key, and a foreign key to it, identify that person."""
    for name in people:
        for column in schema.tables[name].columns:
            if column.primary_key and column.kind in (INTEGER, TEXT, "other"):
                judged[name][column.name] = Judgement(
                    ("user.unique_id",), 0.9, [f"the primary key of {name}, a table of people"]
                )
    ids = {
        (name, column): judged[name][column].categories == ("user.unique_id",)
        for name in people
        for column in judged[name]
    }
    for edge in foreign_key_edges(schema):
        if ids.get((edge.parent, edge.parent_column)):
            judged[edge.child][edge.child_column] = Judgement(
                ("user.unique_id",),
                0.9,
                [f"a foreign key to {edge.parent}.{edge.parent_column}, a person's id"],
            )
    _named_like_person_ids(schema, ids, judged)


def _named_like_person_ids(
    schema: Schema, ids: dict[tuple[str, str], bool], judged: dict[str, dict[str, Judgement]]
) -> None:
    """A column named after a person's id with no foreign key declared (``store.
    manager_staff_id`` and ``staff.staff_id``) is that person's id too."""
    person_keys: dict[tuple[str, ...], tuple[str, str]] = {}
    for (person, key), is_id in ids.items():
        if is_id and schema.tables[person].column(key).primary_key:  # type: ignore[union-attr]
            key_words = lexicon.words(key)
            # A key called just "id" is known elsewhere by its table: client_id.
            if len(key_words) < 2:
                key_words = (*lexicon.words(person), *key_words)
            person_keys[key_words] = (person, key)
    for name, table in schema.tables.items():
        keyed = {c for key in table.foreign_keys for c in key.columns}
        for column in table.columns:
            if column.primary_key or column.name in keyed or column.kind != INTEGER:
                continue
            words = lexicon.words(column.name)
            for key_words, (person, key_column) in person_keys.items():
                if len(words) >= len(key_words) and words[-len(key_words) :] == key_words:
                    judged[name][column.name] = Judgement(
                        ("user.unique_id",),
                        0.75,
                        [
                            f"named like {person}.{key_column}, a person's id "
                            "(no foreign key declared)"
                        ],
                    )
                    break


def _columns(table: TableInfo, row: dict[str, Judgement], person_table: bool) -> tuple[Column, ...]:
    held = {c for verdict in row.values() for c in verdict.categories if is_personal(c)}
    # A lookup table of places that many people's rows share (a city's name).
    lookup = held <= set(COARSE_LOCATION)
    return tuple(
        _column(info, row[info.name], person_table, table, lookup) for info in table.columns
    )


def _column(
    info: ColumnInfo, verdict: Judgement, person_table: bool, table: TableInfo, lookup: bool
) -> Column:
    identity = _identity(info, verdict, person_table, table.name)
    return _COLUMN.model_copy(
        update={
            "name": info.name,
            "categories": verdict.categories,
            "identity": identity,
            "erasure": _erasure(info, verdict, lookup),
            "primary_key": info.primary_key,
            "confidence": round(verdict.confidence, 2),
            "evidence": tuple(verdict.evidence),
        }
    )


def _identity(info: ColumnInfo, verdict: Judgement, person_table: bool, table: str) -> str | None:
    """Which columns a rights request can find a person by, in a table of people."""
    if not person_table or not verdict.categories:
        return None
    primary = verdict.categories[0]
    if primary == "user.contact.email":
        return "email"
    if primary == "user.contact.phone_number":
        return "phone_number"
    if primary == "user.unique_id" and info.primary_key:
        words = lexicon.words(table)
        return "_".join((*words[:-1], words[-1].removesuffix("s"))) + "_id" if words else None
    return None


def _erasure(info: ColumnInfo, verdict: Judgement, lookup: bool) -> Erasure:
    """Null or mask what says who a person is; keep keys, and the rows of a ``lookup``
    table that many people's rows share (a city's name: its table holds nothing personal
    but coarse places)."""
    if (
        lookup
        or not any(is_personal(c) for c in verdict.categories)
        or verdict.categories[0] == "user.unique_id"
    ):
        return Erasure.KEEP
    return Erasure.NULL if info.nullable else Erasure.MASK


# ---------------------------------------------------------------------------- re-scan


def merge(reviewed: DatasetMap, proposed: DatasetMap) -> tuple[DatasetMap, list[Change]]:
    """The reviewed map brought up to the database: reviewed columns kept as they are,
    new tables and columns proposed, vanished ones removed; only those are ``changes``."""
    changes: list[Change] = []
    tables: list[Table] = []
    for table in proposed.tables:
        before = reviewed.table(table.name)
        if before is None:
            changes.append(Change("added", table.name))
            tables.append(table)
            continue
        columns = []
        for column in table.columns:
            old = before.column(column.name)
            if old is None:
                changes.append(Change("added", table.name, column.name))
                columns.append(column)
            elif old.reviewed:
                columns.append(old)
            else:
                if _proposal(old) != _proposal(column):
                    changes.append(Change("proposed", table.name, column.name))
                columns.append(column)
        for old in before.columns:
            if table.column(old.name) is None:
                changes.append(Change("removed", table.name, old.name))
        tables.append(
            table.model_copy(update={"columns": tuple(columns), "description": before.description})
        )
    for old_table in reviewed.tables:
        if proposed.table(old_table.name) is None:
            changes.append(Change("removed", old_table.name))
    kept = reviewed.model_copy(update={"tables": tuple(tables)})
    return kept, changes


def _proposal(column: Column) -> tuple[object, ...]:
    return (column.categories, column.identity, column.erasure)


def _all_added(proposed: DatasetMap) -> list[Change]:
    return [Change("added", table.name) for table in proposed.tables]


def pending(dataset_map: DatasetMap) -> Iterable[tuple[Table, Column]]:
    """The columns staff have not reviewed yet."""
    return ((t, c) for t, c in dataset_map.columns() if not c.reviewed)
