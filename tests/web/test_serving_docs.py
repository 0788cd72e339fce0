"""docs/serving.md and docs/cli.md keep up with the settings and the serve/admin options."""

from __future__ import annotations

import re

import pytest
from typer.main import get_command

from keepfaith.cli import app
from keepfaith.settings import Settings
from tests.conftest import ROOT

SERVING = (ROOT / "docs" / "serving.md").read_text(encoding="utf-8")
CLI = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_in_the_serving_guide(name: str) -> None:
    assert re.search(rf"^\| `{name}`", SERVING, re.M) or f"`{name}`" in SERVING


@pytest.mark.parametrize("path", [("serve",), ("admin", "create-user"), ("admin", "create-token")])
def test_every_serve_and_admin_option_is_documented(path: tuple[str, ...]) -> None:
    command = get_command(app)
    for name in path:
        command = command.commands[name]  # type: ignore[attr-defined]
    assert f"keepfaith {' '.join(path)}" in CLI
    for parameter in command.params:
        for option in parameter.opts:
            if option.startswith("--"):
                assert option in CLI, f"{option} of keepfaith {' '.join(path)}"
