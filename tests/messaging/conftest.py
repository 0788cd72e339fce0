"""Fixtures of the messaging tests: a real SMTP sink on loopback, and a ledger beside it.

``mail(statements...)`` opens a migrated ledger with example statements published and
settings that send to the test's sink; ``run_jobs(world)`` runs every queued job to the
end, as a worker would (the in-process worker on SQLite, procrastinate on PostgreSQL).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio.from_thread
import httpx
import pytest

from keepfaith import jobs
from keepfaith.engine import Engine
from keepfaith.ledger import Keyring, Ledger, Subject, consents, records, subjects
from keepfaith.settings import Settings
from keepfaith.statement import Statement
from keepfaith.web import create_app
from tests.conftest import EXAMPLES
from tests.ledger.support import AUDIT_KEY, KEY, Clock, open_ledger
from tests.messaging.sink import Sink
from tests.web.conftest import BASE_URL, SyncASGITransport

SECRET = "test-secret-key-0123456789abcdef"


@dataclass
class World:
    """A ledger, the engine over it, settings that send to the sink, and the sink."""

    ledger: Ledger
    engine: Engine
    settings: Settings
    sink: Sink
    statements: list[Statement] = field(default_factory=list)

    def work(self) -> None:
        """Run every job that is due, to the end."""
        jobs.work(self.ledger, self.settings, burst=True)

    def later(self, seconds: float) -> None:
        """Let ``seconds`` pass, for a job's backoff: on the ledger's clock (SQLite's
        queue) and on the wall clock (procrastinate schedules retries by it)."""
        clock = self.ledger.clock
        assert isinstance(clock, Clock)
        clock.advance(seconds=seconds)
        if self.ledger.engine.dialect.name == "postgresql":
            time.sleep(seconds)


@pytest.fixture
def sink() -> Iterator[Sink]:
    with Sink() as running:
        yield running


def mail_settings(database_url: str, port: int, **changes: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "secret_key": SECRET,
        "audit_key": AUDIT_KEY,
        "mail_from": "Privacy Office <privacy@keepfaith.test>",
        "mail_domain": "mail.keepfaith.test",
        "public_url": "https://privacy.keepfaith.test",
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_security": "none",
        "smtp_timeout": 10,
        "jobs_poll_seconds": 0.1,
        "jobs_stall_seconds": 2,
        **changes,
    }
    return Settings(**values)


@pytest.fixture
def mail(database_url: str, sink: Sink) -> Iterator[Callable[..., World]]:
    """``mail("parature", "starclicks", **settings)``: a world sending to ``sink``."""
    opened: list[Ledger] = []

    def open_world(*names: str, **changes: Any) -> World:
        paths = [EXAMPLES / name / "statement.yaml" for name in names]
        ledger, loaded = open_ledger(database_url, paths, keys=Keyring({"k1": KEY}))
        opened.append(ledger)
        settings = mail_settings(database_url, sink.port, **changes)
        return World(ledger, Engine(ledger, loaded), settings, sink, loaded)

    yield open_world
    for ledger in opened:
        ledger.close()


@pytest.fixture(scope="session")
def portal() -> Iterator[Any]:
    """One event loop, in a thread, that the web apps of the session run on."""
    with anyio.from_thread.start_blocking_portal() as running:
        yield running


@pytest.fixture
def web(portal: Any) -> Iterator[Callable[[World], httpx.Client]]:
    """``web(world)``: a client of keepfaith's web app over the world's database."""
    with ExitStack() as stack:

        def client(world: World) -> httpx.Client:
            app = create_app(world.settings, {s.id: s for s in world.statements})
            stack.enter_context(portal.wrap_async_context_manager(app.router.lifespan_context(app)))
            transport = SyncASGITransport(app, portal, "127.0.0.1")
            return stack.enter_context(httpx.Client(transport=transport, base_url=BASE_URL))

        yield client


def person(
    ledger: Ledger,
    tenant: str,
    kind: str,
    point: str,
    email: str,
    *,
    name: str | None = "Ann Example",
    consent: tuple[str, ...] = (),
) -> Subject:
    """A person who gave their address (and name) at ``point``, and ticked ``consent``."""
    with ledger.transaction(actor="test") as tx:
        subject = subjects.add(tx, tenant, kind)
        records.add(tx, subject, "user.contact.email", email, collection_point=point)
        if name is not None:
            records.add(tx, subject, "user.name", name, collection_point=point)
        for purpose in consent:
            consents.record(tx, subject, purpose, evidence={"via": point})
    return subject


def templates(tmp_path: Path, tenant: str, **files: str) -> Path:
    """A ``mail_templates`` folder with ``files`` (``newsletter_txt="..."``) for ``tenant``."""
    folder = tmp_path / "templates"
    (folder / tenant).mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        stem, _, extension = name.rpartition("_")
        (folder / tenant / f"{stem}.{extension}").write_text(text, encoding="utf-8")
    return folder
