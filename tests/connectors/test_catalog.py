"""The one-query catalog readers against what the databases declare, and against the
Inspector they replace (same tables, columns, kinds, keys on pagila and chinook)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from keepfaith.connectors import catalog
from keepfaith.connectors.reflect import _table, open_database, reflect
from tests.conftest import DEFAULT_POSTGRES

DDL = [
    "CREATE DOMAIN {s}.yr AS integer",
    "CREATE DOMAIN {s}.code AS varchar(8)",
    "CREATE TYPE {s}.mood AS ENUM ('ok', 'sad')",
    "CREATE TABLE {s}.person (id serial PRIMARY KEY, email text UNIQUE NOT NULL,"
    " born {s}.yr, zip {s}.code, feeling {s}.mood, tags text[], seen timestamptz,"
    " picked date, ratio numeric(4, 2), ok boolean, photo bytea, at time,"
    " first varchar(20), last varchar(20), UNIQUE (first, last))",
    "COMMENT ON COLUMN {s}.person.zip IS 'postal code of the home'",
    "CREATE TABLE {s}.visit (person_id int, day date, room int,"
    " PRIMARY KEY (person_id, day), FOREIGN KEY (person_id) REFERENCES {s}.person (id))",
    "CREATE TABLE {s}.note (id int PRIMARY KEY, person_id int, day date, body text,"
    " FOREIGN KEY (day, person_id) REFERENCES {s}.visit (day, person_id))",
    "CREATE TABLE {s}.log (id int, at date) PARTITION BY RANGE (at)",
    "CREATE TABLE {s}.log_2026 PARTITION OF {s}.log FOR VALUES FROM ('2026-01-01')"
    " TO ('2027-01-01')",
    "ALTER TABLE {s}.log_2026 ADD FOREIGN KEY (id) REFERENCES {s}.person (id)",
    "CREATE VIEW {s}.people AS SELECT id FROM {s}.person",
]


@pytest.fixture(scope="module")
def postgres_schema() -> Iterator[tuple[str, str]]:
    url = os.environ.get("KEEPFAITH_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    schema = f"kf_catalog_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        for statement in DDL:
            connection.execute(sa.text(statement.format(s=f'"{schema}"')))
    yield url, schema
    with engine.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def test_postgresql_in_one_query(postgres_schema: tuple[str, str]) -> None:
    url, schema = postgres_schema
    engine = open_database(url)
    statements: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    with engine.connect() as connection:
        statements.clear()
        tables = reflect(connection, schema).tables
    engine.dispose()
    assert len(statements) == 1
    assert set(tables) == {"person", "visit", "note", "log"}, "no view, no partition"
    person = tables["person"]
    kinds = {c.name: c.kind for c in person.columns}
    assert kinds == {
        "id": "integer",
        "email": "text",
        "born": "integer",  # a domain, by its base type
        "zip": "text",
        "feeling": "other",  # an enum
        "tags": "other",  # an array
        "seen": "datetime",
        "picked": "date",
        "ratio": "decimal",
        "ok": "boolean",
        "photo": "binary",
        "at": "other",  # a time of day
        "first": "text",
        "last": "text",
    }
    assert [c.name for c in person.columns][:3] == ["id", "email", "born"], "in table order"
    email, zip_code, first = person.column("email"), person.column("zip"), person.column("first")
    assert email is not None and email.unique and not email.nullable
    assert first is not None and not first.unique, "unique only with last"
    assert first.length == 20 and first.type == "character varying(20)"
    assert zip_code is not None and zip_code.comment == "postal code of the home"
    assert zip_code.length == 8, "the domain's length"
    identity = person.column("id")
    assert identity is not None and identity.primary_key and not identity.unique
    visit = tables["visit"]
    assert [c.name for c in visit.columns if c.primary_key] == ["person_id", "day"]
    assert [(k.columns, k.referred_table, k.referred_columns) for k in visit.foreign_keys] == [
        (("person_id",), "person", ("id",))
    ]
    (key,) = tables["note"].foreign_keys
    assert key.columns == ("day", "person_id") and key.referred_columns == ("day", "person_id")
    assert [k.referred_table for k in tables["log"].foreign_keys] == ["person"], (
        "a partition's keys belong to its parent"
    )


def test_sqlite_in_two_queries(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    engine = open_database(url)
    with engine.begin() as connection:
        for statement in (
            "CREATE TABLE person (id INTEGER PRIMARY KEY, email NVARCHAR(60) UNIQUE,"
            " born DATETIME, day DATE, ok BOOLEAN, n NUMERIC(10,2), r DOUBLE, photo BLOB,"
            " anything, at TIME, doc JSON, first TEXT, last TEXT, UNIQUE (first, last))",
            "CREATE TABLE visit (person_id INTEGER REFERENCES person, day DATE,"
            " PRIMARY KEY (person_id, day))",
            "CREATE TABLE note (id INTEGER PRIMARY KEY, person_id INT, day DATE,"
            " FOREIGN KEY (day, person_id) REFERENCES visit (day, person_id))",
            "CREATE VIEW people AS SELECT id FROM person",
        ):
            connection.execute(sa.text(statement))
    statements: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    tables = reflect(engine).tables
    assert len(statements) == 2
    inspected = _inspected(engine)
    engine.dispose()
    assert set(tables) == {"person", "visit", "note"}
    kinds = {c.name: c.kind for c in tables["person"].columns}
    assert kinds == {
        "id": "integer",
        "email": "text",
        "born": "datetime",
        "day": "date",
        "ok": "boolean",
        "n": "decimal",
        "r": "decimal",
        "photo": "binary",
        "anything": "other",
        "at": "other",
        "doc": "other",
        "first": "text",
        "last": "text",
    }
    email = tables["person"].column("email")
    assert email is not None and email.unique and email.length == 60
    assert not tables["person"].column("first").unique  # type: ignore[union-attr]
    (key,) = tables["visit"].foreign_keys
    assert key.referred_columns == ("id",), "REFERENCES person: its primary key"
    (key,) = tables["note"].foreign_keys
    assert key.columns == ("day", "person_id") and key.referred_columns == ("day", "person_id")
    assert _facts(tables) == _facts(inspected), "what the Inspector reads, read faster"


def test_sqlite_catalog_changed_is_read_again(tmp_path: Path) -> None:
    """The parsed catalog is kept per process for the same rows only."""
    engine = open_database(f"sqlite:///{tmp_path / 'changed.db'}")
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE person (id INTEGER PRIMARY KEY, email TEXT)"))
    first = reflect(engine).tables
    assert reflect(engine).tables == first
    with engine.begin() as connection:
        connection.execute(sa.text("ALTER TABLE person ADD COLUMN phone VARCHAR(20)"))
        connection.execute(sa.text("CREATE TABLE visit (person_id INT REFERENCES person (id))"))
    again = reflect(engine).tables
    engine.dispose()
    assert [c.name for c in again["person"].columns] == ["id", "email", "phone"]
    assert again["person"].column("phone").length == 20  # type: ignore[union-attr]
    assert [k.referred_table for k in again["visit"].foreign_keys] == ["person"]


def test_postgresql_keys_to_another_schema_and_a_changed_catalog_read_again() -> None:
    """Key columns come back as numbers and are named from the columns read, but a
    referred table in another schema is named by the query; the parsed catalog is kept
    per process for the same facts only, so a comment or a rename shows at once."""
    url = os.environ.get("KEEPFAITH_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    here, there = (f"kf_catalog_{uuid.uuid4().hex[:12]}" for _ in range(2))
    admin = sa.create_engine(url)
    with admin.begin() as connection:
        for statement in [
            'CREATE SCHEMA "{t}"',
            'CREATE SCHEMA "{h}"',
            'CREATE TABLE "{t}".pair (x int, y int, z int, PRIMARY KEY (y, x))',
            'CREATE TABLE "{h}".ref (z int, b int, a int, id int PRIMARY KEY,'
            ' FOREIGN KEY (a, b) REFERENCES "{t}".pair (y, x))',
            'CREATE TABLE "{h}".inside (id int PRIMARY KEY, ref_id int REFERENCES "{h}".ref (id))',
        ]:
            connection.execute(sa.text(statement.format(h=here, t=there)))
    engine = open_database(url)
    try:
        with engine.connect() as connection:
            tables = reflect(connection, here).tables
            assert set(tables) == {"ref", "inside"}
            (key,) = tables["ref"].foreign_keys
            assert (key.columns, key.referred_table, key.referred_columns) == (
                ("a", "b"),
                "pair",
                ("y", "x"),
            )
            (inner,) = tables["inside"].foreign_keys
            assert (inner.columns, inner.referred_columns) == (("ref_id",), ("id",))
            assert [c.name for c in tables["ref"].columns if c.primary_key] == ["id"]
            assert tables["ref"].column("a").comment is None  # type: ignore[union-attr]
            with admin.begin() as change:
                change.execute(sa.text(f"COMMENT ON COLUMN \"{here}\".ref.a IS 'the a'"))
                change.execute(sa.text(f'ALTER TABLE "{here}".ref RENAME COLUMN id TO ref_key'))
            again = reflect(connection, here).tables
            assert again["ref"].column("a").comment == "the a"  # type: ignore[union-attr]
            assert [c.name for c in again["ref"].columns if c.primary_key] == ["ref_key"]
            (inner,) = again["inside"].foreign_keys
            assert inner.referred_columns == ("ref_key",)
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{here}" CASCADE'))
            connection.execute(sa.text(f'DROP SCHEMA "{there}" CASCADE'))
        admin.dispose()


@pytest.mark.parametrize("database", ["pagila", "chinook"])
def test_the_same_facts_as_the_inspector(
    database: str, pagila_url: str, chinook_sqlite_url: str
) -> None:
    engine = open_database(pagila_url if database == "pagila" else chinook_sqlite_url)
    tables = reflect(engine).tables
    inspected = _inspected(engine)
    engine.dispose()
    if database == "pagila":
        # The Inspector reads a domain as "other"; the catalog by its base type (integer).
        film = inspected["film"]
        inspected["film"] = catalog.TableInfo(
            film.name,
            tuple(
                catalog.ColumnInfo(c.name, "integer", c.type, c.nullable, c.primary_key, c.comment)
                if c.name == "release_year"
                else c
                for c in film.columns
            ),
            film.foreign_keys,
        )
        # Partitions are read through their parent.
        partitions = [name for name in inspected if name.startswith("payment_p")]
        for name in partitions:
            del inspected[name]
    assert _facts(tables) == _facts(inspected)


def _inspected(engine: sa.Engine) -> dict[str, catalog.TableInfo]:
    with engine.connect() as connection:
        inspector = sa.inspect(connection)
        facts = {
            "columns": inspector.get_multi_columns(),
            "primary": inspector.get_multi_pk_constraint(),
            "foreign": inspector.get_multi_foreign_keys(),
        }
    return {key[1]: _table(key, facts) for key in facts["columns"]}


def _facts(tables: dict[str, catalog.TableInfo]) -> dict[str, object]:
    """What both readers must agree on (the type's spelling and ``unique`` aside; the
    Inspector's keys of a partitioned table are compared without its partitions')."""
    return {
        name: (
            [(c.name, c.kind, c.nullable, c.primary_key, c.comment) for c in table.columns],
            [c.length for c in table.columns if c.kind == "text"],
            sorted(k.columns for k in table.foreign_keys if name != "payment"),
        )
        for name, table in tables.items()
    }


def test_the_scanner_reads_postgresql_without_a_transaction_and_cannot_write(
    postgres_schema: tuple[str, str],
) -> None:
    url, schema = postgres_schema
    engine = open_database(url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SHOW default_transaction_read_only").scalar() == "on"
        with pytest.raises(sa.exc.InternalError, match="read-only transaction"):
            connection.exec_driver_sql(f'CREATE TABLE "{schema}".nope (id int)')
    engine.dispose()
    writable = open_database(url, writable=True)
    with writable.begin() as connection:
        assert connection.exec_driver_sql("SHOW default_transaction_read_only").scalar() == "off"
    writable.dispose()
