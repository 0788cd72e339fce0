"""Fixtures of the rights tests: the messaging world (ledger, real SMTP sink) and the
company databases of the connector tests."""

from __future__ import annotations

import re

from tests.connectors.conftest import (  # noqa: F401
    chinook_mariadb_url,
    chinook_sqlite_url,
    pagila_url,
    sqlite_copy,
)
from tests.messaging.conftest import World, mail, sink  # noqa: F401
from tests.web.conftest import (  # noqa: F401  (the web fixtures, for the routes)
    api_token,
    make_app,
    make_client,
    portal,
    staff_client,
)

CODE = re.compile(r"enter this code where you made the request: (\d{6})")


def code_sent(world: World, address: str) -> str:
    """The verification code the sink received for ``address`` (sending it first)."""
    world.work()
    received = world.sink.to(address)
    assert received, "no verification message reached the sink"
    found = CODE.search(received[-1].text)
    assert found is not None
    return found.group(1)
