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
from keepfaith.ledger import Keyring, Subject
from tests.ledger.support import KEY, open_ledger
from tests.web.conftest import make_app, make_client, portal

__all__ = [
    "banner_config",
    "cookie_visitor",
    "make_app",
    "make_client",
    "person",
    "portal",
    "post_cookie_choice",
    "seeds",
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
    return app.state.ledger.subject(tenant, subject_id)  # type: ignore[no-any-return]


Seeds = Callable[..., Engine]


@pytest.fixture
def seeds(database_url: str) -> Iterator[Seeds]:
    """Open a ledger with example statements published (``seeds("estara", ...)``).

    Returns the ``Engine`` over them; its ``ledger`` holds encryption keys, so sensitive
    categories can be stored.
    """
    from tests.conftest import EXAMPLES

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
        subject = tx.add_subject(tenant, kind)
        declared = tx.statement(tenant).collection_point(point)
        wanted = categories if categories is not None else {f.category for f in declared.fields}
        for category in dict.fromkeys(wanted):
            tx.add_record(subject, category, value, collection_point=point)
    return subject


def rendered_clause_text(statement_path: Any, clause: str) -> str:
    """The text people read, in the rendered statement, of every element tracing ``clause``.

    Renders through the CLI, as a company would, and gathers the text of each element
    whose ``data-clauses`` names the clause (whitespace folded).
    """
    from html.parser import HTMLParser

    from typer.testing import CliRunner

    from keepfaith.cli import app

    result = CliRunner().invoke(app, ["render", str(statement_path)])
    assert result.exit_code == 0, result.output

    class Collector(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.depth: list[bool] = []
            self.parts: list[str] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag in {"br", "hr", "img", "meta", "link", "input", "col"}:
                return
            traced = clause in (dict(attrs).get("data-clauses") or "").split()
            self.depth.append(traced or any(self.depth))

        def handle_endtag(self, tag: str) -> None:
            if tag not in {"br", "hr", "img", "meta", "link", "input", "col"} and self.depth:
                self.depth.pop()

        def handle_data(self, data: str) -> None:
            if any(self.depth):
                self.parts.append(data)

    collector = Collector()
    collector.feed(result.stdout)
    return " ".join(" ".join(collector.parts).split())


def declared_clause_text(statement: Any, clause: str) -> list[str]:
    """The people-facing texts of the statement's elements that carry ``clause``."""
    from pydantic import BaseModel

    found: list[str] = []

    def walk(element: BaseModel) -> None:
        if clause in getattr(element, "clauses", ()):
            for name in ("title", "text", "description", "email", "covers", "excludes", "measures"):
                value = getattr(element, name, None)
                items = value if isinstance(value, tuple) else (value,)
                found.extend(" ".join(str(i).split()) for i in items if isinstance(i, str))
        for name in type(element).model_fields:
            value = getattr(element, name)
            for child in value if isinstance(value, tuple) else (value,):
                if isinstance(child, BaseModel):
                    walk(child)

    walk(statement)
    return found


def assert_told(statement_path: Any, clause: str, *phrases: str) -> None:
    """The rendered statement tells people what the elements carrying ``clause`` say."""
    from keepfaith.statement import load

    read = rendered_clause_text(statement_path, clause)
    declared = declared_clause_text(load(statement_path), clause)
    assert declared, f"no element of the statement carries {clause}"
    assert [text for text in declared if text not in read] == []
    assert [phrase for phrase in phrases if phrase not in read] == []


def publish_plan(statement_path: Any, tmp_path: Any) -> tuple[int, dict[str, Any]]:
    """Plan the publication of a new version that adds a use of email addresses already held.

    Drives ``keepfaith changes plan`` as the privacy officer would; returns its exit code
    and its JSON answer.
    """
    from pathlib import Path

    from typer.testing import CliRunner

    from keepfaith.cli import app

    text = Path(statement_path).read_text(encoding="utf-8")
    new_use = (
        "purposes:\n"
        "  - id: partner_offers\n"
        "    name: Offers from our partners\n"
        "    basis: opt_out\n"
        "    categories: [user.contact.email]\n"
        "    marketing: true\n"
        "    unsubscribe: [one_click]\n"
    )
    assert text.count("\npurposes:\n") == 1
    changed = Path(tmp_path) / "statement-v2.yaml"
    changed.write_text(text.replace("\npurposes:\n", "\n" + new_use, 1), encoding="utf-8")
    result = CliRunner().invoke(
        app, ["changes", "plan", str(statement_path), str(changed), "--format", "json"]
    )
    return result.exit_code, dict(json.loads(result.stdout))
