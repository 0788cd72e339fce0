"""docs/serving.md and docs/cli.md keep up with every setting, command and option."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

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


def commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The path of every command the CLI has, subcommands included."""
    if hasattr(group, "commands"):  # a group (typer ships its own click)
        for name, command in group.commands.items():
            yield from commands(command, (*path, name))
    else:
        yield path


CLI_COMMANDS = sorted(commands(get_command(app)))


def test_the_cli_has_commands_to_document() -> None:
    assert ("serve",) in CLI_COMMANDS and ("logs", "ingest") in CLI_COMMANDS


@pytest.mark.parametrize("path", CLI_COMMANDS, ids=" ".join)
def test_every_command_and_option_is_documented(path: tuple[str, ...]) -> None:
    command = get_command(app)
    for name in path:
        command = command.commands[name]  # type: ignore[attr-defined]
    assert f"keepfaith {' '.join(path)}" in CLI
    for parameter in command.params:
        for option in parameter.opts:
            if option.startswith("--"):
                assert option in CLI, f"{option} of keepfaith {' '.join(path)}"
