"""What a company database holds: tables, columns, keys, comments.

``open_database`` connects for reading only and never puts the URL's password in a
message; ``reflect`` reads the schema once: in one catalog query on PostgreSQL and two on
SQLite (``keepfaith.connectors.catalog``), through SQLAlchemy's Inspector elsewhere.
Views are left out, and so are PostgreSQL partitions: their rows are read, and erased,
through their parent table.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa

from keepfaith.connectors import catalog
from keepfaith.connectors.catalog import (
    BINARY,
    BOOLEAN,
    DATE,
    DATETIME,
    DECIMAL,
    INTEGER,
    OTHER,
    TEXT,
    ColumnInfo,
    ForeignKey,
    Schema,
    TableInfo,
)
from keepfaith.exceptions import ConfigurationError

__all__ = [
    "BINARY",
    "BOOLEAN",
    "DATE",
    "DATETIME",
    "DECIMAL",
    "INTEGER",
    "OTHER",
    "TEXT",
    "ColumnInfo",
    "ForeignKey",
    "Schema",
    "TableInfo",
    "kind",
    "open_database",
    "reflect",
    "safe_url",
]


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
    PostgreSQL unless ``writable`` (erasure and correction write): the session refuses
    writes (``default_transaction_read_only``) and each read is a statement of its own,
    without the BEGIN and ROLLBACK round trips a transaction would add to a scan."""
    _cap_logger()
    try:
        backend = sa.make_url(url).get_backend_name()
        options: dict[str, Any] = {}
        if backend == "postgresql" and not writable:
            options["isolation_level"] = "AUTOCOMMIT"
        engine = sa.create_engine(
            url,
            hide_parameters=True,
            pool_pre_ping=True,
            logging_name="keepfaith_connector",
            **options,
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
        sa.event.listen(
            engine, "connect", _read_only_session if not writable else _postgresql_session
        )
    return engine


def _cap_logger() -> None:
    """The connector's logger at SQLAlchemy's level but never below INFO: statements are
    logged when SQLAlchemy's engine logging is on (at INFO or DEBUG), rows never; when it
    is off, as by default, SQLAlchemy does not even format the statements (that cost
    showed in the scan's profile). Set at each ``open_database``, and pinned: turning on
    DEBUG later cannot reach the rows of an engine already open."""
    parent = logging.getLogger(LOGGER.rsplit(".", 1)[0]).getEffectiveLevel()
    logging.getLogger(LOGGER).setLevel(max(logging.INFO, parent))


def _postgresql_session(dbapi_connection: Any, _record: Any, read_only: bool = False) -> None:
    # Catalog queries cost PostgreSQL's JIT compiler more than they ever save (as for
    # the ledger, see keepfaith.ledger.store).
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    cursor = dbapi_connection.cursor()
    cursor.execute("SET jit = off")
    if read_only:
        cursor.execute("SET default_transaction_read_only = on")
    cursor.close()
    dbapi_connection.autocommit = autocommit


def _read_only_session(dbapi_connection: Any, record: Any) -> None:
    _postgresql_session(dbapi_connection, record, read_only=True)


def reflect(bind: sa.Engine | sa.Connection, schema: str | None = None) -> Schema:
    """Every table of the database (or of ``schema``) with its columns and keys, over
    ``bind`` (a connection of the caller's, or one taken from the engine for this).

    PostgreSQL answers in one catalog query and SQLite in two (``catalog``); other
    databases through the Inspector's batched calls, which read each kind of fact for all
    tables at once: columns with their types, nullability and comments, primary keys,
    foreign keys.
    """
    try:
        if isinstance(bind, sa.Connection):
            tables = _read(bind, schema)
        else:
            with bind.connect() as connection:
                tables = _read(connection, schema)
    except sa.exc.OperationalError as error:
        raise unreadable(bind, error) from None
    return Schema(bind.dialect.name, dict(sorted(tables.items())), schema)


def unreadable(bind: sa.Engine | sa.Connection, error: sa.exc.OperationalError) -> Exception:
    """The error to raise when the database cannot be reached or read: its URL without
    the password, and the first line of the driver's reason."""
    reason = str(error.orig).splitlines()[0] if error.orig else error.__class__.__name__
    return ConfigurationError(f"cannot read {safe_url(bind.engine.url)}: {reason}")


def _read(connection: sa.Connection, schema: str | None) -> dict[str, TableInfo]:
    if connection.dialect.name == "postgresql":
        return catalog.postgresql(connection, schema)
    if connection.dialect.name == "sqlite":
        return catalog.sqlite(connection, schema)
    inspector = sa.inspect(connection)
    facts: dict[str, dict[Any, Any]] = {
        "columns": inspector.get_multi_columns(schema=schema),
        "primary": inspector.get_multi_pk_constraint(schema=schema),
        "foreign": inspector.get_multi_foreign_keys(schema=schema),
    }
    return {key[1]: _table(key, facts) for key in facts["columns"]}


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
        (sa.Float, DECIMAL),  # no Numeric since SQLAlchemy 2.1
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
