"""DESIGN's arrows are contracts (import-linter, in pyproject.toml): the tree keeps them,
and an import that breaks one fails ``lint-imports``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "src" / "keepfaith"


def lint(source: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` on the package below ``source``, with the project's contracts."""
    shutil.copy(ROOT / "pyproject.toml", cwd / "pyproject.toml")
    environment = {**os.environ, "PYTHONPATH": str(source)}
    script = "import sys; from importlinter.cli import lint_imports_command as c; sys.exit(c())"
    return subprocess.run(
        [sys.executable, "-c", script, "--no-cache"],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_tree_keeps_every_contract(tmp_path: Path) -> None:
    done = lint(ROOT / "src", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("statement/schema.py", "import keepfaith.ledger", "imports nothing of keepfaith"),
        ("statement/render.py", "import keepfaith.settings", "imports nothing of keepfaith"),
        ("ledger/subjects.py", "import keepfaith.engine", "packages below it"),
        ("engine/decision.py", "import keepfaith.collect", "packages below it"),
        ("collect/points.py", "import fastapi", "web or command-line framework"),
        ("ledger/records.py", "import typer", "web or command-line framework"),
        ("web/routes/consent.py", "import sqlalchemy", "never SQL"),
        ("web/routes/decisions.py", "import keepfaith.ledger.snapshot", "never SQL"),
    ],
)
def test_a_violating_import_breaks_its_contract(
    tmp_path: Path, module: str, line: str, contract: str
) -> None:
    copy = tmp_path / "src" / "keepfaith"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}  # noqa\n")
    done = lint(tmp_path / "src", tmp_path)
    assert done.returncode != 0
    broken = [row for row in done.stdout.splitlines() if " BROKEN" in row]
    assert any(contract in row for row in broken), done.stdout
