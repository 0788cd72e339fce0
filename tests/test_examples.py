"""Every seed clause is declared in its example statement, and every example loads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import keepfaith
from tests.conftest import EXAMPLES, SHARED

SEEDS = {"ES": "estara", "SC": "starclicks", "PA": "parature", "DG": "digium", "EZ": "eztalks"}


def clause_ids() -> list[str]:
    text = (SHARED / "seeds" / "CLAUSES.md").read_text(encoding="utf-8")
    return sorted(set(re.findall(r"^\| ((?:ES|SC|PA|DG|EZ)-\d{2}) \|", text, re.MULTILINE)))


def test_clauses_md_lists_all_99_promises() -> None:
    assert len(clause_ids()) == 99


@pytest.mark.parametrize("name", sorted(SEEDS.values()))
def test_example_loads(name: str) -> None:
    statement = keepfaith.load(EXAMPLES / name / "statement.yaml")
    assert statement.id == name


@pytest.mark.parametrize("name", sorted(SEEDS.values()))
def test_example_declares_every_clause_of_its_seed(name: str) -> None:
    statement = keepfaith.load(EXAMPLES / name / "statement.yaml")
    prefix = next(p for p, n in SEEDS.items() if n == name)
    expected = {c for c in clause_ids() if c.startswith(prefix)}
    declared = statement.declared_clauses()
    assert sorted(expected - declared) == []
    assert sorted(declared - expected) == [], "clause ids of another seed, or unknown ids"


def test_every_clause_has_its_conformance_test() -> None:
    """Each clause id has a test named after it (``test_PA_04_...``) in tests/conformance."""
    folder = Path(__file__).parent / "conformance"
    named = {
        f"{prefix}-{number}"
        for path in folder.glob("test_*.py")
        for prefix, number in re.findall(
            r"^def test_([A-Z]{2})_(\d{2})_", path.read_text(encoding="utf-8"), re.MULTILINE
        )
    }
    assert sorted(set(clause_ids()) - named) == []
