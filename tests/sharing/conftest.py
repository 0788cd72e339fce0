"""The sharing tests use the engine tests' ledger (tenants ``acme`` and ``rules``) and the
web tests' app (Parature's statement) and clients."""

from tests.engine.conftest import clock, engine, ledger
from tests.messaging.conftest import mail, sink
from tests.web.conftest import api_token, app, make_app, make_client, portal, staff_client

__all__ = [
    "api_token",
    "app",
    "clock",
    "engine",
    "ledger",
    "mail",
    "make_app",
    "make_client",
    "portal",
    "sink",
    "staff_client",
]
