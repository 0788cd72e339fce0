"""Company databases for the connector tests: loaded once per session, dropped after."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import DEFAULT_POSTGRES
from tests.connectors import databases
from tests.web.conftest import (  # noqa: F401  (the web fixtures, for the admin page)
    api_token,
    app,
    make_app,
    make_client,
    portal,
    staff_client,
)


@pytest.fixture(scope="session")
def pagila_url() -> Iterator[str]:
    with databases.pagila() as url:
        yield url


@pytest.fixture(scope="session")
def chinook_sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with databases.chinook_sqlite(tmp_path_factory.mktemp("chinook")) as url:
        yield url


@pytest.fixture(scope="session")
def chinook_mariadb_url() -> Iterator[str]:
    with databases.chinook_mariadb() as url:
        yield url


@pytest.fixture(scope="session")
def awkward_sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('awkward') / 'awkward.db'}"
    databases.create_awkward(url)
    return url


@pytest.fixture(scope="session")
def awkward_postgres() -> Iterator[tuple[str, str]]:
    """The awkward database in a PostgreSQL schema of its own: ``(url, schema)``."""
    url = os.environ.get("KEEPFAITH_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    schema = f"kf_awkward_{uuid.uuid4().hex[:12]}"
    databases.create_awkward(url, schema)
    yield url, schema
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture
def sqlite_copy(tmp_path: Path, chinook_sqlite_url: str) -> str:
    """A chinook copy of this test's own, to change its schema."""
    import shutil

    target = tmp_path / "chinook.sqlite"
    shutil.copyfile(sa.make_url(chinook_sqlite_url).database or "", target)
    return f"sqlite:///{target}"
