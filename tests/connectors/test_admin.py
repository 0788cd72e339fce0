"""The admin page: scan a configured database, review the proposal, re-scan the difference."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
import sqlalchemy as sa
from fastapi import FastAPI

from tests.web.conftest import form_token

PAGE = "/admin/t/parature/connectors"


def _app(make_app: Callable[..., FastAPI], url: str) -> FastAPI:
    return make_app(connectors={"chinook": url})


def test_scan_review_and_rescan(
    make_app: Callable[..., FastAPI],
    staff_client: Callable[..., httpx.Client],
    sqlite_copy: str,
) -> None:
    app = _app(make_app, sqlite_copy)
    officer = staff_client("privacy_officer", app)
    listing = officer.get(PAGE)
    assert listing.status_code == 200 and "chinook" in listing.text
    assert sqlite_copy not in listing.text and ".sqlite" not in listing.text, "never the URL"
    token = form_token(officer, PAGE)
    scanned = officer.post(f"{PAGE}/chinook/scan", data={"csrf_token": token})
    assert scanned.status_code == 303
    page = officer.get(f"{PAGE}/chinook")
    assert "50 of 50 sampled values are valid email addresses" in page.text
    assert "luisg@embraer.com.br" not in page.text, "no sampled value is shown"
    pending = int(re.search(r"(\d+) columns to review", page.text).group(1))  # type: ignore[union-attr]
    assert pending == 64

    def review(**fields: str) -> httpx.Response:
        data = {"csrf_token": form_token(officer, f"{PAGE}/chinook"), **fields}
        return officer.post(f"{PAGE}/chinook/review", data=data)

    assert review(table="Customer", column="Email", action="accept").status_code == 303
    assert review(table="Customer", column="Company", action="not_personal").status_code == 303
    changed = review(
        table="Track", column="Composer", action="change", category="user.name", erasure="keep"
    )
    assert changed.status_code == 303
    stored = officer.get("/admin/api/t/parature/connectors/chinook").json()
    columns = {(t["name"], c["name"]): c for t in stored["tables"] for c in t["columns"]}
    assert (
        columns[("Customer", "Email")]["reviewed"]
        and columns[("Customer", "Email")]["identity"] == "email"
    )
    assert columns[("Customer", "Company")].get("categories", []) == []
    assert columns[("Track", "Composer")]["categories"] == ["user.name"]
    refused = review(table="Track", column="Composer", action="change", category="user.nope")
    assert refused.status_code == 422 and "not a fideslang data category" in refused.text
    missing = review(table="Track", column="Nope", action="accept")
    assert missing.status_code == 404

    engine = sa.create_engine(sqlite_copy)
    with engine.begin() as connection:
        connection.execute(sa.text("ALTER TABLE Customer ADD COLUMN Geburtsdatum DATE"))
    engine.dispose()
    officer.post(f"{PAGE}/chinook/scan", data={"csrf_token": form_token(officer, PAGE)})
    again = officer.get("/admin/api/t/parature/connectors/chinook").json()
    columns = {(t["name"], c["name"]): c for t in again["tables"] for c in t["columns"]}
    assert columns[("Customer", "Geburtsdatum")]["categories"] == ["user.demographic.date_of_birth"]
    assert columns[("Customer", "Company")].get("categories", []) == [], "the review stands"
    assert columns[("Track", "Composer")]["categories"] == ["user.name"]


def test_only_reviewers_see_the_maps(
    make_app: Callable[..., FastAPI],
    staff_client: Callable[..., httpx.Client],
    make_client: Callable[..., httpx.Client],
    tmp_path: Path,
) -> None:
    app = _app(make_app, f"sqlite:///{tmp_path / 'none.db'}")
    assert make_client(app).get(PAGE).status_code == 401
    assert staff_client("support_agent", app).get(PAGE).status_code == 403
    assert staff_client("auditor", app).get(f"{PAGE}/chinook").status_code == 403
    owner = staff_client("owner", app)
    assert owner.get(f"{PAGE}/chinook").status_code == 404
    assert owner.post(f"{PAGE}/chinook/scan", data={}).status_code == 403, "CSRF token required"
