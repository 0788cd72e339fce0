"""The statement people read, served at / and /t/{tenant}/, and its archive of versions."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from fastapi import FastAPI

from keepfaith.ledger import statements
from keepfaith.statement import loads
from tests.web.conftest import EZTALKS, PARATURE


def test_one_tenant_is_served_at_the_root(client: httpx.Client) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "Parature" in page.text
    assert page.text == client.get("/t/parature/").text
    assert client.head("/").status_code == 200


def test_statement_page_allows_only_its_own_inline_style(client: httpx.Client) -> None:
    csp = client.get("/").headers["content-security-policy"]
    assert "'sha256-" in csp
    assert "unsafe-inline" not in csp
    assert "script-src 'self'" in csp


def test_several_tenants_each_at_their_own_path(
    make_app: Callable[..., FastAPI], make_client: Callable[..., httpx.Client]
) -> None:
    client = make_client(make_app(statements=(PARATURE, EZTALKS)))
    index = client.get("/")
    assert index.status_code == 200
    assert 'href="/t/parature/"' in index.text
    assert 'href="/t/eztalks/"' in index.text
    assert "Parature" in client.get("/t/parature/").text
    assert "ezTalks" in client.get("/t/eztalks/").text


def test_unknown_tenant_is_404(client: httpx.Client) -> None:
    assert client.get("/t/nobody/").status_code == 404
    assert client.get("/t/nobody/versions").status_code == 404


def test_archive_lists_and_serves_every_published_version(
    app: FastAPI, client: httpx.Client
) -> None:
    text = PARATURE.read_text(encoding="utf-8")
    old = loads(text.replace('version: "2010"', 'version: "2009"', 1))
    assert old.version == "2009"
    with app.state.ledger.transaction() as tx:
        statements.publish(tx, old)
    archive = client.get("/t/parature/versions")
    assert archive.status_code == 200
    assert 'href="/t/parature/versions/2009"' in archive.text
    assert 'href="/t/parature/versions/2010"' in archive.text
    past = client.get("/t/parature/versions/2009")
    assert past.status_code == 200
    assert "version 2009" in past.text
    assert client.get("/t/parature/versions/1999").status_code == 404


def test_openapi_description_is_public(client: httpx.Client) -> None:
    description = client.get("/openapi.json")
    assert description.status_code == 200
    assert "/api/t/{tenant}/decisions" in description.json()["paths"]
