"""Helpers the clause tests of changes share: publish by the command line, as the
privacy officer would, and check that existing people moved as the statement says."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

import keepfaith
from keepfaith.cli import app
from keepfaith.engine import Engine
from keepfaith.ledger import records, subjects
from tests.changes.conftest import new_version
from tests.conftest import EXAMPLES

EMAIL = "user.contact.email"


def recipient_added(name: str, version: str, purpose: str) -> str:
    """A later version of the example that adds a mailing house receiving the address
    for ``purpose`` (and a new use of the address)."""
    text = new_version(name, version)
    block = (
        "recipients:\n  - id: mailing_house\n    name: Our mailing house\n"
        "    kind: processor\n    categories: [user.contact.email]\n"
        f"    purposes: [{purpose}]\n    basis: required\n    under_contract: true\n"
    )
    assert text.count("\nrecipients:\n") == 1
    return text.replace("\nrecipients:\n", "\n" + block, 1)


def email_purpose(name: str, point: str = "registration") -> str:
    """A purpose ``point`` states for the address it collects."""
    statement = keepfaith.load(EXAMPLES / name / "statement.yaml")
    found = next(p for p in statement.collection_points if p.id == point)
    by_id = {p.id: p for p in statement.purposes}
    return next(p for p in found.purposes if EMAIL in by_id[p].categories)


def publish_cli(database_url: str, text: str, folder: Path, by: str = "dpo") -> str:
    """``keepfaith publish FILE --yes``: its output (the diff first); fails on an error."""
    path = folder / "statement-new.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(
        app, ["publish", str(path), "--yes", "--by", by, "--database-url", database_url]
    )
    assert result.exit_code == 0, result.output
    return result.output


def existing_people_move(
    engine: Engine, database_url: str, folder: Path, name: str, kind: str
) -> str:
    """An existing customer moves to a new version at publication, and a recipient the
    new version adds is allowed for them at once; the CLI's output is returned."""
    purpose = email_purpose(name)
    with engine.ledger.transaction() as tx:
        ann = subjects.add(tx, name, kind)
        records.add(tx, ann, EMAIL, "ann@example.org", collection_point="registration")
    before = engine.may(ann, purpose, EMAIL, "mailing_house")
    assert not before.allowed and "not declared" in before.reason
    output = publish_cli(database_url, recipient_added(name, "2099-01", purpose), folder)
    after = engine.may(ann, purpose, EMAIL, "mailing_house")
    assert after.allowed, after.reason
    with engine.ledger.reading() as tx:
        assert subjects.get(tx, name, ann.id).statement_version == "2099-01"
    return output


def link_of(text: str, marker: str) -> str:
    """The token of the first link in a notice's text whose URL contains ``marker``."""
    url = next(word for word in text.split() if marker in word)
    return url.split(marker, 1)[1].split("?", 1)[0]
