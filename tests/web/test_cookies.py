"""The cookie banner's HTTP side: the script, recording a choice, CORS and gpc.json."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from keepfaith.collect.cookie_choice import REFERENCE_PREFIX
from keepfaith.collect.cookies import cookie_section_version
from keepfaith.ledger import Ledger, consents, subjects
from keepfaith.settings import Settings
from keepfaith.statement.diff import diff
from tests.conftest import EXAMPLES
from tests.web.conftest import PARATURE, loaded

ESTARA = EXAMPLES / "estara" / "statement.yaml"
ENDPOINT = "/api/t/parature/cookies/consent"
VERSION = cookie_section_version(loaded(PARATURE))


@pytest.fixture
def app(make_app: Callable[..., FastAPI]) -> FastAPI:
    return make_app(statements=(PARATURE, ESTARA))


def visitor_event_count(ledger: Ledger) -> int:
    with ledger.transaction() as tx:
        visitors = [
            s
            for s in subjects.of_tenant(tx, "parature")
            if (s.reference or "").startswith(REFERENCE_PREFIX)
        ]
        return sum(len(consents.history(tx, s)) for s in visitors)


def test_script_is_javascript_cached_by_etag(client: httpx.Client) -> None:
    response = client.get("/t/parature/cookie-banner.js")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert VERSION in response.text
    assert "https://testserver/api/t/parature/cookies/consent" in response.text
    assert "set-cookie" not in response.headers
    etag = response.headers["etag"]
    again = client.get("/t/parature/cookie-banner.js", headers={"If-None-Match": etag})
    assert (again.status_code, again.content) == (304, b"")
    assert client.get("/t/nobody/cookie-banner.js").status_code == 404


def test_the_example_offers_french(client: httpx.Client) -> None:
    answer = client.get("/t/parature/cookie-banner.js", headers={"Accept-Language": "fr-FR"})
    assert json.loads(banner_config_of(answer.text))["text"]["rejectAll"] == "Tout refuser"


@pytest.mark.parametrize("language", ["en", "fr"])
def test_script_and_stylesheet_stay_within_12_kb_gzipped(
    make_app: Callable[..., FastAPI], make_client: Callable[..., httpx.Client], language: str
) -> None:
    app = make_app()
    french = app.state.statements["parature"].model_copy(update={"languages": ("en", "fr")})
    app.state.statements["parature"] = french
    client = make_client(app)
    script = client.get("/t/parature/cookie-banner.js", params={"lang": language})
    assert script.headers["vary"] == "Accept-Language"
    style_url = json.loads(banner_config_of(script.text))["styleUrl"]
    style = client.get(style_url)
    assert style.status_code == 200
    assert style.headers["content-type"] == "text/css; charset=utf-8"
    assert "--kf-accent" in style.text
    total = len(gzip.compress(script.content, 9)) + len(gzip.compress(style.content, 9))
    assert total <= 12 * 1024


def banner_config_of(script: str) -> str:
    return script.rsplit("})(", 1)[1].rstrip().removesuffix(");")


@pytest.mark.parametrize(
    ("headers", "params", "expected"),
    [
        ({"Accept-Language": "fr-CA,fr;q=0.9"}, {}, "fr"),
        ({"Accept-Language": "de-DE,de;q=0.9"}, {}, "en"),
        ({"Accept-Language": "fr"}, {"lang": "en"}, "en"),
        ({}, {"lang": "fr"}, "fr"),
        ({}, {"lang": "fr-" * 1000}, "en"),
        ({"Accept-Language": "zz-;q=x,\t," * 400}, {}, "en"),
    ],
)
def test_the_banner_speaks_an_offered_language(
    make_app: Callable[..., FastAPI],
    make_client: Callable[..., httpx.Client],
    headers: dict[str, str],
    params: dict[str, str],
    expected: str,
) -> None:
    app = make_app()
    french = app.state.statements["parature"].model_copy(update={"languages": ("en", "fr")})
    app.state.statements["parature"] = french
    answer = make_client(app).get("/t/parature/cookie-banner.js", params=params, headers=headers)
    assert answer.status_code == 200
    config = json.loads(banner_config_of(answer.text))
    assert config["lang"] == expected
    assert config["text"]["acceptAll"] == {"en": "Accept all", "fr": "Tout accepter"}[expected]


def test_a_nul_in_the_language_is_refused_not_served(client: httpx.Client) -> None:
    answer = client.get("/t/parature/cookie-banner.js", params={"lang": "fr\x00"})
    assert answer.status_code == 422
    assert "\x00" not in answer.text


def test_a_statement_in_english_only_gets_an_english_banner(client: httpx.Client) -> None:
    assert loaded(ESTARA).languages == ("en",)
    answer = client.get("/t/estara/cookie-banner.js", headers={"Accept-Language": "fr"})
    assert json.loads(banner_config_of(answer.text))["lang"] == "en"


def test_choice_is_recorded_with_a_receipt(client: httpx.Client, app: FastAPI) -> None:
    body = {"version": VERSION, "accepted": ["analytics"]}
    first = client.post(ENDPOINT, json=body)
    assert first.status_code == 200, first.text
    answer = first.json()
    assert answer["accepted"] == ["analytics"]
    assert answer["refused"] == ["functional", "advertising"]
    assert answer["receipt"]["version"] == "KI-CR-v1.1.0"
    assert answer["receipt"]["consentReceiptID"] == answer["receipt_id"]
    assert len(answer["receipt"]["services"][0]["purposes"]) == answer["events"] == 4
    assert "set-cookie" not in first.headers
    # The same visitor changes its mind: same subject, four more events.
    second = client.post(ENDPOINT, json={**body, "accepted": [], "visitor": answer["visitor"]})
    assert second.json()["visitor"] == answer["visitor"]
    assert visitor_event_count(app.state.ledger) == 8


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"visitor": "tampered"}, "visitor"),
        ({"accepted": ["marketing"]}, "accepted"),
        ({"version": "0000"}, "version"),
    ],
)
def test_bad_choice_is_refused_and_stores_nothing(
    client: httpx.Client, app: FastAPI, change: dict[str, object], field: str
) -> None:
    good = client.post(ENDPOINT, json={"version": VERSION, "accepted": []}).json()
    visitor = good["visitor"]
    if field == "visitor":  # a real identifier with its random part altered
        change = {"visitor": ("A" if visitor[0] != "A" else "B") + visitor[1:]}
    response = client.post(ENDPOINT, json={"version": VERSION, "accepted": [], **change})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == [field]
    assert visitor_event_count(app.state.ledger) == 4


def test_sec_gpc_header_refuses_advertising(client: httpx.Client) -> None:
    body = {"version": VERSION, "accepted": ["functional", "analytics", "advertising"]}
    answer = client.post(ENDPOINT, json=body, headers={"Sec-GPC": "1"}).json()
    assert answer["accepted"] == ["functional", "analytics"]
    assert answer["refused"] == ["advertising"]


def test_cors_only_for_the_declared_site(client: httpx.Client) -> None:
    site = {"Origin": "https://www.parature.com", "Access-Control-Request-Method": "POST"}
    preflight = client.options(ENDPOINT, headers=site)
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "https://www.parature.com"
    assert preflight.headers["access-control-allow-headers"] == "Content-Type"
    other = client.options(ENDPOINT, headers={**site, "Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers
    posted = client.post(
        ENDPOINT, json={"version": VERSION}, headers={"Origin": "https://www.parature.com"}
    )
    assert posted.headers["access-control-allow-origin"] == "https://www.parature.com"


def test_every_refusal_carries_the_sites_cors_headers(client: httpx.Client) -> None:
    """The banner reads why a choice was refused: the guard's 422 (a NUL byte), FastAPI's
    (a missing field) and the statement's (an unknown category) all carry CORS."""
    site = {"Origin": "https://www.parature.com"}
    refusals = [
        {"version": VERSION, "visitor": "a\u0000b"},
        {"accepted": ["analytics"]},
        {"version": VERSION, "accepted": ["no-such-category"]},
    ]
    for body in refusals:
        posted = client.post(ENDPOINT, json=body, headers=site)
        assert posted.status_code == 422, body
        assert posted.headers["access-control-allow-origin"] == "https://www.parature.com"
        assert posted.json()["errors"], body
    stranger = client.post(ENDPOINT, json=refusals[0], headers={"Origin": "https://evil.example"})
    assert stranger.status_code == 422
    assert "access-control-allow-origin" not in stranger.headers


def test_banner_origins_setting_allows_more_sites(
    make_app: Callable[..., FastAPI], make_client: Callable[..., httpx.Client]
) -> None:
    local = "http://localhost:3000"
    client = make_client(make_app(banner_origins=(local, "https://staging.example/")))
    for origin in (local, "https://staging.example", "https://www.parature.com"):
        preflight = client.options(ENDPOINT, headers={"Origin": origin})
        assert preflight.headers["access-control-allow-origin"] == origin
    posted = client.post(ENDPOINT, json={"version": VERSION}, headers={"Origin": local})
    assert posted.status_code == 200
    assert posted.headers["access-control-allow-origin"] == local
    other = client.options(ENDPOINT, headers={"Origin": "http://localhost:3001"})
    assert "access-control-allow-origin" not in other.headers


def test_the_demo_page_is_served_only_when_asked_for(
    make_app: Callable[..., FastAPI], make_client: Callable[..., httpx.Client]
) -> None:
    off = make_client(make_app())
    assert off.get("/t/parature/cookie-banner/demo").status_code == 404
    on = make_client(make_app(banner_demo=True))
    page = on.get("/t/parature/cookie-banner/demo")
    assert page.status_code == 200
    assert 'src="https://testserver/t/parature/cookie-banner.js"' in page.text
    assert 'type="text/plain" data-category="analytics"' in page.text
    assert on.get("/t/nobody/cookie-banner/demo").status_code == 404


def test_gpc_json_per_the_specification(client: httpx.Client) -> None:
    response = client.get("/.well-known/gpc.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    newest = max(loaded(p).effective for p in (PARATURE, ESTARA))
    assert response.json() == {"gpc": True, "lastUpdate": newest.isoformat()}


def test_no_optional_cookie_means_nothing_to_record(client: httpx.Client) -> None:
    version = cookie_section_version(loaded(ESTARA))
    answer = client.post(
        "/api/t/estara/cookies/consent", json={"version": version, "accepted": []}
    ).json()
    assert answer == {
        "visitor": None,
        "receipt_id": None,
        "accepted": [],
        "refused": [],
        "events": 0,
        "receipt": None,
    }


@pytest.mark.parametrize(
    "origin", ["localhost:3000", "http://a.example/path", "javascript:alert(1)", "http://a b"]
)
def test_banner_origins_must_be_origins(origin: str) -> None:
    with pytest.raises(ValidationError, match="banner_origins"):
        Settings(banner_origins=(origin,))


def changed_cookie(app: FastAPI, **update: Any) -> str:
    """Serve Parature with its visitor cookie changed; returns the published version's digest."""
    statement = app.state.statements["parature"]
    before = cookie_section_version(statement)
    cookies = tuple(
        c.model_copy(update=update) if c.name == "parature_visitor" else c
        for c in statement.cookies
    )
    app.state.statements["parature"] = statement.model_copy(update={"cookies": cookies})
    return before


@pytest.mark.parametrize(
    ("update", "holds"),
    [
        ({"lifetime_days": 30}, True),  # shorter: minor, the choice holds
        ({"lifetime_days": 730}, False),  # longer: material (cookie_lifetime_longer)
        ({"provider": "Tracker Inc."}, False),  # cookie_provider_changed
    ],
)
def test_a_choice_holds_across_a_minor_cookie_change_only(
    make_app: Callable[..., FastAPI],
    make_client: Callable[..., httpx.Client],
    update: dict[str, Any],
    holds: bool,
) -> None:
    app = make_app()
    before = changed_cookie(app, **update)
    config = json.loads(banner_config_of(make_client(app).get("/t/parature/cookie-banner.js").text))
    assert config["version"] != before
    assert (before in config["stillValid"]) is holds
    # The same verdict as the changes module's, which tells people of material changes.
    current = app.state.statements["parature"]
    changes = [c for c in diff(loaded(PARATURE), current) if c.path[:1] == ("cookies",)]
    assert any(c.material for c in changes) is not holds
