"""What a company database's catalog says of its tables, read in as few round trips as it
allows: one query on PostgreSQL, two on SQLite.

SQLAlchemy's Inspector asks one catalog query per kind of fact (columns, then keys, then
foreign keys, and a few lookups of types and domains between them); on a database a
network hop away each is a round trip. Here PostgreSQL answers every fact the scanner and
the connectors use (columns with their types, NOT NULL and comments; primary keys,
single-column unique keys, foreign keys; partitions and their parents) in one query of
``pg_catalog``, and SQLite in two queries of its ``pragma_table_info`` and
``pragma_foreign_key_list`` table-valued functions joined over ``sqlite_master``. Other
databases (MariaDB, MySQL) go through the Inspector (``keepfaith.connectors.reflect``).

Only names, types and keys are read here, never a row.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

TEXT, INTEGER, DECIMAL, DATE, DATETIME, BOOLEAN, BINARY, OTHER = (
    "text",
    "integer",
    "decimal",
    "date",
    "datetime",
    "boolean",
    "binary",
    "other",
)


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    kind: str
    """One of the kinds above: what the scanner reads the type as."""
    type: str
    """The type as the database names it (``VARCHAR(60)``, ``character varying(60)``)."""
    nullable: bool
    primary_key: bool = False
    comment: str | None = None
    length: int | None = None
    unique: bool = False
    """A unique key of this column alone (the primary key aside); PostgreSQL and SQLite."""


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    referred_table: str
    referred_columns: tuple[str, ...]


@dataclass(frozen=True)
class TableInfo:
    name: str
    columns: tuple[ColumnInfo, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()
    rows: float | None = None
    """The statistics' estimate of its row count (PostgreSQL's ``reltuples``), if any."""

    def column(self, name: str) -> ColumnInfo | None:
        return next((c for c in self.columns if c.name == name), None)


@dataclass(frozen=True)
class Schema:
    """A database's tables, by name, as reflected."""

    dialect: str
    tables: dict[str, TableInfo] = field(default_factory=dict)
    schema: str | None = None


# ------------------------------------------------------------------------- PostgreSQL

POSTGRESQL_CATALOG = sa.text(
    """
WITH tables AS MATERIALIZED (
  SELECT c.oid, c.relname, c.relispartition, c.reltuples FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p') AND n.nspname = coalesce(:schema, current_schema())
), oids AS MATERIALIZED (
  SELECT array_agg(oid) AS oids FROM tables
), columns AS (
  SELECT a.attrelid, json_agg(json_build_array(
      a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, d.description,
      coalesce(b.typname, t.typname), coalesce(b.typtype, t.typtype),
      coalesce(b.typcategory, t.typcategory),
      CASE WHEN a.atttypmod > 4 THEN a.atttypmod - 4
           WHEN t.typtypmod > 4 THEN t.typtypmod - 4 END) ORDER BY a.attnum)::text AS facts
  FROM oids
  JOIN pg_attribute a ON a.attrelid = ANY (oids.oids) AND a.attnum > 0 AND NOT a.attisdropped
  JOIN pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_type b ON t.typtype = 'd' AND b.oid = t.typbasetype
  LEFT JOIN pg_description d ON d.objoid = a.attrelid AND d.objsubid = a.attnum
    AND d.classoid = 'pg_class'::regclass
  GROUP BY a.attrelid
), keys AS (
  SELECT k.conrelid, json_agg(json_build_array(
      k.contype, k.conkey, f.relname, k.confrelid::int8, k.confkey,
      CASE WHEN k.contype = 'f' AND k.confrelid <> ALL (oids.oids) THEN ARRAY(
        SELECT a.attname FROM pg_attribute a
        WHERE a.attrelid = k.confrelid AND a.attnum = ANY (k.confkey)
        ORDER BY array_position(k.confkey, a.attnum)) END) ORDER BY k.conname)::text AS facts
  FROM oids
  JOIN pg_constraint k ON k.conrelid = ANY (oids.oids) AND k.contype IN ('p', 'u', 'f')
  LEFT JOIN pg_class f ON f.oid = k.confrelid
  GROUP BY k.conrelid
)
SELECT tables.oid::int8, tables.relname, p.relname, columns.facts, keys.facts, tables.reltuples
FROM tables
LEFT JOIN pg_inherits i ON tables.relispartition AND i.inhrelid = tables.oid
LEFT JOIN pg_class p ON p.oid = i.inhparent
LEFT JOIN columns ON columns.attrelid = tables.oid
LEFT JOIN keys ON keys.conrelid = tables.oid
"""
)
"""Per table: its oid, name, the table it is a partition of, its columns as JSON text
(number, name, type as the database writes it, NOT NULL, comment, then the base type's
name, kind and category after domains, and the declared length), its keys as JSON text
(kind, column numbers, referred table, its oid and column numbers, and the referred
columns' names only when that table is not among these), and the statistics' estimate
of its rows. The tables' oids go to ``pg_attribute`` and ``pg_constraint`` as one array
(``= ANY``), which their indexes answer; joined to the tables instead, the planner reads
all of ``pg_attribute`` (a third of the query's time on pagila). Key columns come back
as numbers, named from the columns already read: a lookup of ``pg_attribute`` per key
and side cost a quarter to a third of the query's server time on pagila."""

_POSTGRESQL_KINDS = {
    "bool": BOOLEAN,
    "int2": INTEGER,
    "int4": INTEGER,
    "int8": INTEGER,
    "numeric": DECIMAL,
    "float4": DECIMAL,
    "float8": DECIMAL,
    "money": DECIMAL,
    "date": DATE,
    "timestamp": DATETIME,
    "timestamptz": DATETIME,
    "bytea": BINARY,
}


def postgresql_kind(name: str, typtype: str, category: str) -> str:
    """How the scanner reads a PostgreSQL type (a domain by its base type): an enum, an
    array, a time of day, JSON or a geometry is ``other``; strings are ``text``."""
    if typtype == "e":
        return OTHER
    if name in _POSTGRESQL_KINDS:
        return _POSTGRESQL_KINDS[name]
    return TEXT if category == "S" else OTHER


def postgresql(connection: sa.Connection, schema: str | None) -> dict[str, TableInfo]:
    """Every table of ``schema`` (else the current one), partitions left out and their
    foreign keys given to their parent (pagila's payment declares none itself; each
    monthly partition points at customer, staff, rental)."""
    rows = connection.exec_driver_sql(_POSTGRESQL_SQL, {"schema": schema}).all()
    return dict(_postgresql_tables(tuple(tuple(row) for row in rows)))


_POSTGRESQL_SQL = POSTGRESQL_CATALOG.text.replace(":schema", "%(schema)s")
"""The catalog query in the driver's own form, executed as it is: no bound parameter of
a user's, and SQLAlchemy's compilation of a text statement showed in a warm scan."""


@lru_cache(maxsize=16)
def _postgresql_tables(rows: tuple[tuple[Any, ...], ...]) -> dict[str, TableInfo]:
    """The tables the catalog's rows describe, parsed once per process for the same
    rows: the key is every fact read (names, types, keys, comments, estimates), so a
    change to any of them parses them again. Callers get a copy of the dict; its tables
    are frozen."""
    numbers: dict[int, dict[int, str]] = {}
    parsed = []
    for oid, name, parent, columns, keys, estimate in rows:
        columns = json.loads(columns) if columns else []
        numbers[oid] = {column[0]: column[1] for column in columns}
        parsed.append((name, parent, columns, json.loads(keys) if keys else [], estimate))
    tables: dict[str, TableInfo] = {}
    parents: dict[str, str] = {}
    for name, parent, columns, keys, estimate in parsed:
        if parent is not None:
            parents[name] = parent
        tables[name] = _postgresql_table(name, columns, keys, float(estimate), numbers)
    for partition, parent in parents.items():
        if parent in tables and partition in tables:
            table = tables[parent]
            own = list(table.foreign_keys)
            own.extend(k for k in tables[partition].foreign_keys if k not in own)
            tables[parent] = TableInfo(table.name, table.columns, tuple(own), table.rows)
    return {name: table for name, table in tables.items() if name not in parents}


def _postgresql_table(
    name: str,
    columns: list[list[Any]],
    keys: list[list[Any]],
    estimate: float,
    numbers: dict[int, dict[int, str]],
) -> TableInfo:
    primary: set[str] = set()
    unique: set[str] = set()
    foreign: list[ForeignKey] = []
    own = {column[0]: column[1] for column in columns}
    for contype, conkey, referred_table, referred_oid, confkey, referred_names in keys:
        constrained = [own[number] for number in conkey]
        if contype == "p":
            primary.update(constrained)
        elif contype == "u" and len(constrained) == 1:
            unique.add(constrained[0])
        elif contype == "f" and referred_table:
            if referred_names is None:
                theirs = numbers[referred_oid]
                referred_names = [theirs[number] for number in confkey]
            foreign.append(ForeignKey(tuple(constrained), referred_table, tuple(referred_names)))
    infos = tuple(
        ColumnInfo(
            name=column,
            kind=(kind := postgresql_kind(base, typtype, category)),
            type=type_name,
            nullable=not not_null,
            primary_key=column in primary,
            comment=comment,
            length=length if kind == TEXT else None,
            unique=column in unique and column not in primary,
        )
        for _, column, type_name, not_null, comment, base, typtype, category, length in columns
    )
    return TableInfo(name, infos, tuple(sorted(foreign, key=lambda fk: fk.columns)), estimate)


# ----------------------------------------------------------------------------- SQLite


def _sqlite_master(schema: str | None) -> str:
    return f'"{schema.replace(chr(34), chr(34) * 2)}".sqlite_master' if schema else "sqlite_master"


def _sqlite_columns(schema: str | None) -> sa.TextClause:
    """Every column with its table, type, NOT NULL, primary key position, and whether a
    unique key (``UNIQUE``, not a ``CREATE UNIQUE INDEX``) holds it alone: the
    single-column unique keys are found once per table, not once per column (a third of
    the query's time on chinook)."""
    return sa.text(
        f"""
WITH tables AS (
  SELECT name FROM {_sqlite_master(schema)}
  WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
), single AS (
  SELECT t.name AS t, min(i.name) AS c FROM tables t
  JOIN pragma_index_list(t.name, :schema) l JOIN pragma_index_info(l.name, :schema) i
  WHERE l."unique" AND l.origin = 'u'
  GROUP BY t.name, l.name HAVING count(*) = 1
)
SELECT m.name, p.name, p.type, p."notnull", p.pk,
  EXISTS (SELECT 1 FROM single s WHERE s.t = m.name AND s.c = p.name)
FROM tables m JOIN pragma_table_info(m.name, :schema) p
ORDER BY m.name, p.cid
"""
    )


def _sqlite_keys(schema: str | None) -> sa.TextClause:
    return sa.text(
        f"""
SELECT m.name, f.id, f."table", f."from", f."to"
FROM {_sqlite_master(schema)} m JOIN pragma_foreign_key_list(m.name, :schema) f
WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
ORDER BY m.name, f.id, f.seq
"""
    )


SQLITE_NAMED = {
    "DATE": DATE,
    "DATE_CHAR": DATE,
    "DATETIME": DATETIME,
    "DATETIME_CHAR": DATETIME,
    "TIMESTAMP": DATETIME,
    "BOOL": BOOLEAN,
    "BOOLEAN": BOOLEAN,
    "TIME": OTHER,
    "TIME_CHAR": OTHER,
    "JSON": OTHER,
}
"""Declared types read by their name before SQLite's affinity rules: to SQLite a
``DATETIME`` is merely NUMERIC, to the scanner a date."""


def sqlite_kind(declared: str) -> str:
    """How the scanner reads a declared SQLite type: a few names (``SQLITE_NAMED``), else
    SQLite's own type-affinity rules (https://www.sqlite.org/datatype3.html, 3.1), in
    their order: ``INT`` is an integer; ``CHAR``, ``CLOB``, ``TEXT`` text; ``BLOB``
    binary, and no type at all ``other``; ``REAL``, ``FLOA``, ``DOUB`` and anything else
    (NUMERIC affinity) a decimal."""
    upper = declared.upper()
    name = upper.split("(")[0].strip()
    if name in SQLITE_NAMED:
        return SQLITE_NAMED[name]
    if "INT" in upper:
        return INTEGER
    if any(word in upper for word in ("CHAR", "CLOB", "TEXT")):
        return TEXT
    if "BLOB" in upper:
        return BINARY
    if not upper.strip():
        return OTHER
    return DECIMAL


_LENGTH = re.compile(r"\(\s*(\d+)\s*\)")


def sqlite(connection: sa.Connection, schema: str | None) -> dict[str, TableInfo]:
    """Every table of the database (or of the attached ``schema``), in two queries."""
    parameters = {"schema": schema or "main"}
    column_rows = connection.execute(_sqlite_columns(schema), parameters).all()
    key_rows = connection.execute(_sqlite_keys(schema), parameters).all()
    return dict(
        _sqlite_tables(tuple(tuple(r) for r in column_rows), tuple(tuple(r) for r in key_rows))
    )


@lru_cache(maxsize=16)
def _sqlite_tables(
    column_rows: tuple[tuple[Any, ...], ...], key_rows: tuple[tuple[Any, ...], ...]
) -> dict[str, TableInfo]:
    """The tables the two queries' rows describe, parsed once per process for the same
    rows (as ``_postgresql_tables``)."""
    columns: dict[str, list[ColumnInfo]] = {}
    for table, name, declared, not_null, pk, unique in column_rows:
        kind = sqlite_kind(declared or "")
        length = _LENGTH.search(declared or "") if kind == TEXT else None
        columns.setdefault(table, []).append(
            ColumnInfo(
                name=name,
                kind=kind,
                type=declared or "",
                nullable=not not_null,
                primary_key=pk > 0,
                length=int(length.group(1)) if length else None,
                unique=bool(unique) and not pk,
            )
        )
    keys: dict[str, dict[int, tuple[str, list[str], list[str | None]]]] = {}
    for table, key, referred, constrained, to in key_rows:
        entry = keys.setdefault(table, {}).setdefault(key, (referred, [], []))
        entry[1].append(constrained)
        entry[2].append(to)
    tables = {}
    for table, infos in columns.items():
        foreign = []
        for referred, constrained, to in keys.get(table, {}).values():
            if any(column is None for column in to):
                # REFERENCES t without columns: the referred table's primary key.
                to = [c.name for c in columns.get(referred, []) if c.primary_key]
            foreign.append(ForeignKey(tuple(constrained), referred, tuple(str(c) for c in to)))
        tables[table] = TableInfo(
            table, tuple(infos), tuple(sorted(foreign, key=lambda fk: fk.columns))
        )
    return tables
