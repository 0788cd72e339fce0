"""Helpers of the rights conformance tests: a ledger with a real SMTP sink beside it, and
chinook as the company's database, driven through keepfaith's Python API."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from keepfaith import rights
from keepfaith.ledger import Keyring
from keepfaith.ledger.cases import Case, get
from keepfaith.rights import work
from tests.conftest import EXAMPLES
from tests.connectors import databases
from tests.ledger.support import KEY, open_ledger
from tests.messaging.conftest import World, mail_settings
from tests.messaging.sink import Sink
from tests.rights.conftest import code_sent
from tests.rights.test_work import chinook_world  # noqa: F401  (re-exported)


@contextmanager
def world_of(database_url: str, tmp_path: Path, *tenants: str) -> Iterator[World]:
    """A ledger with ``tenants`` published, mail to a sink, chinook as system ``chinook``."""
    from keepfaith.connectors import maps, scan
    from tests.connectors.test_erasure import CHINOOK_ROWS, with_erasure

    with Sink() as sink, databases.chinook_sqlite(tmp_path) as url:
        ledger, loaded = open_ledger(
            database_url,
            [EXAMPLES / t / "statement.yaml" for t in tenants],
            keys=Keyring({"k1": KEY}),
        )
        from keepfaith.engine import Engine

        world = World(
            ledger,
            Engine(ledger, loaded),
            mail_settings(database_url, sink.port, connectors={"chinook": url}),
            sink,
        )
        dataset_map = with_erasure(scan(url, "chinook").map, CHINOOK_ROWS)
        with ledger.transaction() as tx:
            for tenant in tenants:
                maps.store(tx, tenant, dataset_map, [])
        try:
            yield world
        finally:
            work.close()
            ledger.close()


def chinook_url(world: World) -> str:
    return world.settings.connectors["chinook"].get_secret_value()


def verified(world: World, tenant: str, kind: str, email: str, **options: object) -> Case:
    with world.ledger.transaction(actor="web") as tx:
        opened = rights.open(tx, world.settings, tenant, kind, email, **options)  # type: ignore[arg-type]
    if opened.case.verified:
        return opened.case
    code = code_sent(world, email)
    with world.ledger.transaction(actor="web") as tx:
        return rights.verify(tx, world.settings, tenant, opened.case.id, code)


def approved(world: World, case: Case) -> Case:
    with world.ledger.transaction(actor="staff") as tx:
        rights.approve(tx, case.tenant, case.id)
    world.work()
    return current(world, case)


def current(world: World, case: Case) -> Case:
    with world.ledger.reading() as tx:
        return get(tx, case.tenant, case.id)


def told(world: World, email: str, subject: str) -> list[str]:
    return [m.text for m in world.sink.to(email) if m.mail["Subject"] == subject]


def download(world: World, tenant: str, email: str) -> zipfile.ZipFile:
    text = told(world, email, "Your copy is ready")[-1]
    token = text.split("token=", 1)[1].split()[0]
    return zipfile.ZipFile(io.BytesIO(work.export_zip(world.ledger, world.settings, tenant, token)))
