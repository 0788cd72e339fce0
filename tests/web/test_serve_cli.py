"""``keepfaith serve`` and ``keepfaith admin``, run as a user runs them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from keepfaith.cli import app
from keepfaith.ledger import Ledger, staff
from tests.ledger.support import read
from tests.web.conftest import PASSWORD

runner = CliRunner()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_create_user_reads_the_password_from_stdin(database_url: str) -> None:
    result = runner.invoke(
        app,
        [
            "admin",
            "create-user",
            "Owner@Example.com",
            "--role",
            "owner",
            "--password-stdin",
            "--database-url",
            database_url,
        ],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "created staff user" in result.output
    assert PASSWORD not in result.output
    with Ledger(database_url) as ledger:
        assert read(ledger, staff.authenticate, "owner@example.com", PASSWORD).role == "owner"


def test_create_user_refuses_an_unknown_role_and_a_short_password(database_url: str) -> None:
    unknown = runner.invoke(
        app,
        [
            "admin",
            "create-user",
            "a@example.com",
            "--role",
            "janitor",
            "--password-stdin",
            "--database-url",
            database_url,
        ],
        input=PASSWORD + "\n",
    )
    assert unknown.exit_code == 2
    assert "no role 'janitor'" in unknown.output
    short = runner.invoke(
        app,
        [
            "admin",
            "create-user",
            "a@example.com",
            "--role",
            "auditor",
            "--password-stdin",
            "--database-url",
            database_url,
        ],
        input="short\n",
    )
    assert short.exit_code == 2
    assert "at least 12 characters" in short.output


def test_create_token_prints_a_working_token_once(database_url: str) -> None:
    result = runner.invoke(
        app,
        [
            "admin",
            "create-token",
            "--name",
            "crm",
            "--role",
            "support_agent",
            "--database-url",
            database_url,
        ],
    )
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert token.startswith("kf_")
    with Ledger(database_url) as ledger:
        principal = read(ledger, staff.token_principal, token)
    assert principal is not None
    assert principal.role == "support_agent"


def test_serve_refuses_an_unknown_example() -> None:
    result = runner.invoke(app, ["serve", "--example", "nosuch"])
    assert result.exit_code == 2
    assert "no example 'nosuch'" in result.output
    assert "parature" in result.output


def test_serve_example_serves_the_statement_at_the_root(database_url: str, tmp_path: Path) -> None:
    """The quick start's first command: ``keepfaith serve --example parature``."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEEPFAITH_")}
    command = [
        str(Path(sys.executable).parent / "keepfaith"),
        "serve",
        "--example",
        "parature",
        "--port",
        str(port),
        "--database-url",
        database_url,
    ]
    server = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        page = _get_when_up(f"http://127.0.0.1:{port}/", server)
        assert page.status_code == 200
        assert "Parature" in page.text
        assert httpx.get(f"http://127.0.0.1:{port}/t/parature/versions").status_code == 200
    finally:
        server.terminate()
        output = server.communicate(timeout=20)[0].decode()
    assert "KEEPFAITH_SECRET_KEY is not set" in output
    assert "keepfaith.web GET / 200" in output  # keepfaith's access log, without addresses
    assert '"GET / HTTP/1.1"' not in output  # uvicorn's, which writes them, is off


def _get_when_up(url: str, server: subprocess.Popen[bytes]) -> httpx.Response:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"serve exited: {server.communicate()[0].decode()}")
        try:
            return httpx.get(url)
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail("serve did not answer within 30 s")
