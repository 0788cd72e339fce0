"""What a company database holds, as SQLAlchemy reflects it: tables, columns, keys, comments.

``open_database`` connects for reading only and never puts the URL's password in a
message; ``reflect`` reads the schema once (SQLAlchemy 2 reflects many tables per query
where the dialect allows, as on PostgreSQL). Views are left out, and so are PostgreSQL
partitions: their rows are read, and erased, through their parent table.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from keepfaith.exceptions import ConfigurationError

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
    """The type as the database names it (``VARCHAR(60)``)."""
    nullable: bool
    primary_key: bool = False
    comment: str | None = None
    length: int | None = None


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

    def column(self, name: str) -> ColumnInfo | None:
        return next((c for c in self.columns if c.name == name), None)


@dataclass(frozen=True)
class Schema:
    """A database's tables, by name, as reflected."""

    dialect: str
    tables: dict[str, TableInfo] = field(default_factory=dict)
    schema: str | None = None


def safe_url(url: str | sa.URL) -> str:
    """The URL with its password hidden, for messages."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "<a database URL that does not parse>"


LOGGER = "sqlalchemy.engine.Engine.keepfaith_connector"


def open_database(url: str | sa.URL, *, writable: bool = False) -> sa.Engine:
    """An engine for a company database whose values never reach logs or errors: bound
    parameters are hidden, and its logger stops at INFO (statements), because at DEBUG
    SQLAlchemy logs every row it reads, and the rows are the sample. Read-only on
    PostgreSQL unless ``writable`` (erasure and correction write)."""
    logging.getLogger(LOGGER).setLevel(logging.INFO)
    try:
        engine = sa.create_engine(
            url, hide_parameters=True, pool_pre_ping=True, logging_name="keepfaith_connector"
        )
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ValueError) as error:
        raise ConfigurationError(
            f"not a usable database URL: {safe_url(url)} ({error.__class__.__name__})"
        ) from None
    except ModuleNotFoundError as error:
        raise ConfigurationError(
            f"{safe_url(url)} needs the {error.name} driver installed"
        ) from None
    if engine.dialect.name == "postgresql":
        sa.event.listen(engine, "connect", _postgresql_session)
        if not writable:
            engine = engine.execution_options(postgresql_readonly=True)
    return engine


def _postgresql_session(dbapi_connection: Any, _record: Any) -> None:
    # Catalog queries cost PostgreSQL's JIT compiler more than they ever save (as for
    # the ledger, see keepfaith.ledger.store).
    cursor = dbapi_connection.cursor()
    cursor.execute("SET jit = off")
    cursor.close()
    dbapi_connection.commit()


def reflect(engine: sa.Engine, schema: str | None = None) -> Schema:
    """Every table of the database (or of ``schema``) with its columns and keys.

    The Inspector's batched calls read each kind of fact for all tables at once (one
    catalog query each on PostgreSQL), and only the facts the scanner uses: columns with
    their types, nullability and comments, primary keys, foreign keys.
    """
    try:
        with engine.connect() as connection:
            inspector = sa.inspect(connection)
            facts: dict[str, dict[Any, Any]] = {
                "columns": inspector.get_multi_columns(schema=schema),
                "primary": inspector.get_multi_pk_constraint(schema=schema),
                "foreign": inspector.get_multi_foreign_keys(schema=schema),
            }
            partitions = _partitions(connection, schema)
    except sa.exc.OperationalError as error:
        reason = str(error.orig).splitlines()[0] if error.orig else error.__class__.__name__
        raise ConfigurationError(f"cannot read {safe_url(engine.url)}: {reason}") from None
    reflected = {key[1]: _table(key, facts) for key in facts["columns"]}
    tables = {
        name: _with_partition_keys(table, reflected, partitions)
        for name, table in reflected.items()
        if name not in partitions
    }
    return Schema(engine.dialect.name, dict(sorted(tables.items())), schema)


def _partitions(connection: sa.Connection, schema: str | None) -> dict[str, str]:
    """PostgreSQL partitions by name, with the table each belongs to."""
    if connection.dialect.name != "postgresql":
        return {}
    query = sa.text(
        "SELECT c.relname, p.relname FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_inherits i ON i.inhrelid = c.oid JOIN pg_class p ON p.oid = i.inhparent "
        "WHERE c.relispartition AND n.nspname = coalesce(:schema, current_schema())"
    )
    return {str(a): str(b) for a, b in connection.execute(query, {"schema": schema})}


def _with_partition_keys(
    table: TableInfo, reflected: dict[str, TableInfo], partitions: dict[str, str]
) -> TableInfo:
    """A partitioned table with the foreign keys its partitions declare (pagila's payment
    declares none itself; each monthly partition points at customer, staff, rental)."""
    keys = list(table.foreign_keys)
    for partition, parent in partitions.items():
        if parent == table.name and partition in reflected:
            keys.extend(k for k in reflected[partition].foreign_keys if k not in keys)
    return TableInfo(table.name, table.columns, tuple(keys))


def _table(key: tuple[str | None, str], facts: dict[str, Any]) -> TableInfo:
    primary = (facts["primary"].get(key) or {}).get("constrained_columns") or []
    columns = tuple(
        ColumnInfo(
            name=column["name"],
            kind=kind(column["type"]),
            type=_type_name(column["type"]),
            nullable=bool(column["nullable"]),
            primary_key=column["name"] in primary,
            comment=column.get("comment"),
            length=getattr(column["type"], "length", None),
        )
        for column in facts["columns"][key]
    )
    keys = tuple(
        sorted(
            (
                ForeignKey(
                    tuple(fk["constrained_columns"]),
                    fk["referred_table"],
                    tuple(fk["referred_columns"]),
                )
                for fk in facts["foreign"].get(key, [])
                if fk.get("referred_table")
            ),
            key=lambda fk: fk.columns,
        )
    )
    return TableInfo(key[1], columns, keys)


def kind(type_: Any) -> str:
    """How the scanner reads a column's type."""
    checks: list[tuple[type[Any], str]] = [
        (sa.Boolean, BOOLEAN),
        (sa.Integer, INTEGER),
        (sa.Numeric, DECIMAL),
        (sa.DateTime, DATETIME),
        (sa.Date, DATE),
        (sa.Enum, OTHER),
        (sa.String, TEXT),
        (sa.LargeBinary, BINARY),
    ]
    for base, name in checks:
        if isinstance(type_, base):
            return name
    if isinstance(type_, sa.types.NullType):
        return OTHER
    try:
        python = type_.python_type
    except NotImplementedError:
        return OTHER
    return {str: TEXT, int: INTEGER, bytes: BINARY}.get(python, OTHER)


def _type_name(type_: Any) -> str:
    try:
        return str(type_.compile())
    except Exception:  # a dialect-only type (tsvector, a domain) compiles only there
        return str(type_.__class__.__name__).upper()
