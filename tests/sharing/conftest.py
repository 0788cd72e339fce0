"""The sharing tests use the engine tests' ledger (tenants ``acme`` and ``rules``)."""

from tests.engine.conftest import clock, engine, ledger

__all__ = ["clock", "engine", "ledger"]
