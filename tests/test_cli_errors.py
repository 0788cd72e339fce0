"""The CLI prints every keepfaith error in one place: one line per problem on stderr,
exit code 1 for data failing its integrity check and 2 for the rest, no traceback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from keepfaith.cli import app
from keepfaith.exceptions import (
    AuditChainBroken,
    Conflict,
    InvalidSubmission,
    KeepfaithError,
    Location,
    NotSignedIn,
    StatementError,
)

two_problems = StatementError(Location("s.yaml", 2, 1), "first")
two_problems.problems.append((Location("s.yaml", 9, 3), "second"))


@pytest.fixture
def raising() -> Iterator[list[KeepfaithError]]:
    """A hidden command that raises whatever the test puts in the list."""
    pending: list[KeepfaithError] = []

    @app.command("raise-for-test", hidden=True)
    def raise_for_test() -> None:
        raise pending[0]

    try:
        yield pending
    finally:
        app.registered_commands[:] = [
            c for c in app.registered_commands if c.name != "raise-for-test"
        ]


@pytest.mark.parametrize(
    ("error", "code", "stderr"),
    [
        (Conflict("try again"), 2, "error: try again\n"),
        (NotSignedIn("wrong email or password"), 2, "error: wrong email or password\n"),
        (two_problems, 2, "s.yaml:2:1: error: first\ns.yaml:9:3: error: second\n"),
        (
            InvalidSubmission({"email": "must contain '@'", "password": "too short"}),
            2,
            "email: error: must contain '@'\npassword: error: too short\n",
        ),
        (AuditChainBroken(["entry 4 altered"]), 1, "error: audit broken: entry 4 altered\n"),
    ],
)
def test_every_error_is_printed_once_with_its_exit_code(
    raising: list[KeepfaithError], error: KeepfaithError, code: int, stderr: str
) -> None:
    raising.append(error)
    result = CliRunner().invoke(app, ["raise-for-test"])
    assert (result.exit_code, result.stderr, result.stdout) == (code, stderr, "")
    assert result.exception is None or isinstance(result.exception, SystemExit)
