"""Helpers shared by the conformance tests: the web app's fixtures and small HTTP helpers.

The web fixtures (``make_app``, ``make_client``, ``portal``) come from
``tests/web/conftest.py``, so clause tests drive the same in-process app over HTTP.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from keepfaith.engine import Engine
from keepfaith.ledger import Keyring, Subject, records, statements, subjects
from tests.conftest import EXAMPLES
from tests.ledger.support import KEY, open_ledger, read
from tests.messaging.conftest import mail, sink, web
from tests.web.conftest import make_app, make_client, portal

__all__ = [
    "banner_config",
    "cookie_visitor",
    "mail",
    "make_app",
    "make_client",
    "person",
    "portal",
    "post_cookie_choice",
    "seeds",
    "sink",
    "web",
]


def banner_config(client: httpx.Client, tenant: str) -> dict[str, Any]:
    """The configuration built into a tenant's cookie banner script, as served."""
    script = client.get(f"/t/{tenant}/cookie-banner.js")
    assert script.status_code == 200, script.text
    config = script.text.rsplit("})(", 1)[1].rstrip().removesuffix(");")
    return dict(json.loads(config))


def post_cookie_choice(
    client: httpx.Client, tenant: str, accepted: list[str], **headers: str
) -> httpx.Response:
    """Post a banner choice for the current cookie section, as the banner does."""
    version = banner_config(client, tenant)["version"]
    body = {"version": version, "accepted": accepted}
    return client.post(f"/api/t/{tenant}/cookies/consent", json=body, headers=headers)


def cookie_visitor(app: FastAPI, tenant: str, answer: httpx.Response) -> Subject:
    """The ledger subject a recorded cookie choice belongs to (its receipt names it)."""
    assert answer.status_code == 200, answer.text
    subject_id = int(answer.json()["receipt"]["piiPrincipalId"])
    return read(app.state.ledger, subjects.get, tenant, subject_id)  # type: ignore[no-any-return]


Seeds = Callable[..., Engine]


@pytest.fixture
def seeds(database_url: str) -> Iterator[Seeds]:
    """Open a ledger with example statements published (``seeds("estara", ...)``).

    Returns the ``Engine`` over them; its ``ledger`` holds encryption keys, so sensitive
    categories can be stored.
    """
    opened = []

    def open_seeds(*names: str) -> Engine:
        paths = [EXAMPLES / name / "statement.yaml" for name in names]
        ledger, statements = open_ledger(database_url, paths, keys=Keyring({"k1": KEY}))
        opened.append(ledger)
        return Engine(ledger, statements)

    yield open_seeds
    for ledger in opened:
        ledger.close()


def person(
    engine: Engine,
    tenant: str,
    kind: str,
    point: str,
    categories: Iterable[str] | None = None,
    value: str = "x",
) -> Subject:
    """A subject of ``kind`` who gave ``categories`` (every field, by default) at ``point``."""
    with engine.ledger.transaction() as tx:
        subject = subjects.add(tx, tenant, kind)
        declared = statements.get(tx, tenant).collection_point(point)
        wanted = categories if categories is not None else {f.category for f in declared.fields}
        for category in dict.fromkeys(wanted):
            records.add(tx, subject, category, value, collection_point=point)
    return subject
