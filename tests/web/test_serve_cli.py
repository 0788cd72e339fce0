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
        page = _get_when_up(f"http://127.0.0.1:{port}/", server, wait=120)  # slow when loaded
        assert page.status_code == 200
        assert "Parature" in page.text
        assert httpx.get(f"http://127.0.0.1:{port}/t/parature/versions").status_code == 200
    finally:
        server.terminate()
        output = server.communicate(timeout=20)[0].decode()
    assert "KEEPFAITH_SECRET_KEY is not set" in output
    assert "keepfaith.web GET / 200" in output  # keepfaith's access log, without addresses
    assert '"GET / HTTP/1.1"' not in output  # uvicorn's, which writes them, is off


def _get_when_up(url: str, server: subprocess.Popen[bytes], wait: float = 30) -> httpx.Response:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"serve exited: {server.communicate()[0].decode()}")
        try:
            return httpx.get(url)
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail(f"serve did not answer within {wait} s")


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (uvicorn's workers, and multiprocessing's helper)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def test_workers_get_the_keys_from_a_private_file_not_their_environment(
    database_url: str, tmp_path: Path
) -> None:
    """``--workers 2``: no key in any worker's /proc/PID/environ; the file is 0600, then gone."""
    secret = "worker-secret-" + "s" * 24
    key = "A" * 43 + "="
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEEPFAITH_")}
    env |= {
        "KEEPFAITH_SECRET_KEY": secret,
        "KEEPFAITH_ENCRYPTION_KEYS": f'{{"k1": "{key}"}}',
        "KEEPFAITH_ACTIVE_KEY_ID": "k1",
        "KEEPFAITH_COOKIE_SECURE": "false",
    }
    command = [
        str(Path(sys.executable).parent / "keepfaith"),
        "serve",
        "--example",
        "parature",
        "--port",
        str(port),
        "--workers",
        "2",
        "--database-url",
        database_url,
    ]
    server = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        base = f"http://127.0.0.1:{port}"
        # Under load a worker may take seconds to build its app (uvicorn restarts it then).
        assert _get_when_up(base + "/", server, wait=120).status_code == 200
        deadline = time.monotonic() + 60
        while len(workers := _workers(server.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(workers) == 2, workers
        files = set()
        for environ in workers.values():
            assert secret.encode() not in environ and key.encode() not in environ
            assert b"KEEPFAITH_SECRET_KEY" not in environ
            named = dict(v.split(b"=", 1) for v in environ.split(b"\0") if b"=" in v)
            files.add(Path(named[b"_KEEPFAITH_WORKER_SETTINGS_FILE"].decode()))
        (settings,) = files
        assert settings.stat().st_mode & 0o777 == 0o600
        assert settings.parent.stat().st_mode & 0o777 == 0o700
        # The workers sign with the one secret: a form's CSRF token works on any worker.
        with httpx.Client(base_url=base) as browser:
            for _ in range(4):
                page = browser.get("/login")
                token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
                answer = browser.post(
                    "/login", data={"email": "a@example.com", "password": "x", "csrf_token": token}
                )
                assert answer.status_code == 401  # wrong password, but the form was genuine
    finally:
        server.terminate()
        server.communicate(timeout=30)
    assert not settings.exists() and not settings.parent.exists()


def _workers(pid: int) -> dict[int, bytes]:
    """Worker processes of a uvicorn supervisor, by pid, with their environment."""
    found = {}
    for child in _children(pid):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
            environ = Path(f"/proc/{child}/environ").read_bytes()
        except OSError:
            continue
        if b"resource_tracker" not in cmdline:
            found[child] = environ
    return found
