"""Fixtures shared by the whole suite.

``--database`` picks the ledger's database for this run: ``sqlite`` (a file per test) or
``postgresql`` (a schema of its own per test on the server named by
``KEEPFAITH_TEST_POSTGRES_URL``). The same tests run against both.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SHARED = Path(os.environ.get("KEEPFAITH_SHARED", ROOT.parent / "shared"))
"""The seeds and real data beside the project (``KEEPFAITH_SHARED`` elsewhere)."""
FIXTURES = Path(__file__).parent / "statement" / "fixtures"
PARATURE_CONTACT = {
    "name": "Ann Example",
    "company": "Example Corp",
    "address": "1 Main St",
    "phone": "555 0100",
    "email": "ann@example.com",
    "financial_qualification": "yes",
    "number_of_users": "12",
}
"""A complete submission of Parature's contact form."""
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--database",
        choices=("sqlite", "postgresql"),
        default=os.environ.get("KEEPFAITH_TEST_DATABASE", "sqlite"),
        help="database the ledger uses in this run",
    )


@pytest.fixture(scope="session")
def database_kind(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--database"))


@pytest.fixture
def database_url(database_kind: str, tmp_path: Path) -> Iterator[str]:
    """A SQLAlchemy URL for an empty ledger database of the kind this run uses.

    On PostgreSQL each test gets its own schema (inside the session's) so tests never
    see each other's rows.
    """
    with empty_database(database_kind, tmp_path) as url:
        yield url


@contextmanager
def empty_database(kind: str, directory: Path) -> Iterator[str]:
    """An empty database's URL: a file in ``directory``, or a fresh PostgreSQL schema."""
    if kind == "sqlite":
        yield f"sqlite:///{directory / 'ledger.db'}"
        return
    import sqlalchemy as sa

    base = os.environ.get("KEEPFAITH_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    schema = f"kf_test_{uuid.uuid4().hex[:16]}"
    engine = sa.create_engine(base)
    with engine.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture
def minimal_statement_path() -> Path:
    return FIXTURES / "minimal.yaml"
