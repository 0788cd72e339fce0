"""What the statement-level clauses need: the text people read, and change plans.

Both drive keepfaith through its CLI (``keepfaith render``, ``keepfaith changes plan``),
as the company would.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from typer.testing import CliRunner

from keepfaith.cli import app
from keepfaith.statement import load


def rendered_clause_text(statement_path: Path, clause: str) -> str:
    """The text people read, in the rendered statement, of every element tracing ``clause``.

    Renders through the CLI, as a company would, and gathers the text of each element
    whose ``data-clauses`` names the clause (whitespace folded).
    """
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


def declared_clause_text(statement: BaseModel, clause: str) -> list[str]:
    """The people-facing texts of the statement's elements that carry ``clause``."""
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


def assert_told(statement_path: Path, clause: str, *phrases: str) -> None:
    """The rendered statement tells people what the elements carrying ``clause`` say."""
    read = rendered_clause_text(statement_path, clause)
    declared = declared_clause_text(load(statement_path), clause)
    assert declared, f"no element of the statement carries {clause}"
    assert [text for text in declared if text not in read] == []
    assert [phrase for phrase in phrases if phrase not in read] == []


def publish_plan(statement_path: Path, tmp_path: Path) -> tuple[int, dict[str, Any]]:
    """Plan the publication of a new version that adds a use of email addresses already held.

    Drives ``keepfaith changes plan`` as the privacy officer would; returns its exit code
    and its JSON answer.
    """
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
