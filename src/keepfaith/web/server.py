"""Running the app: prepare the ledger once, then serve it with uvicorn.

With several workers each process builds its own app from the same settings (uvicorn
starts workers from an import string, not an object). The settings hold the secret and
encryption keys, so they never travel in the environment, which anyone with the same
user id (or root) reads in ``/proc/PID/environ`` for the life of the process: they go
in a file of mode 0600, in a directory of mode 0700, made before the workers start and
removed when the server stops; the workers' environment names only the file. Every
``KEEPFAITH_*`` variable is taken out of the environment the workers inherit.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr

from keepfaith import jobs
from keepfaith.ledger import Ledger
from keepfaith.settings import Settings
from keepfaith.statement import Statement
from keepfaith.web.app import create_app, prepare

WORKER_SETTINGS = "_KEEPFAITH_WORKER_SETTINGS_FILE"
"""The variable naming the settings file of the workers (the path, never the settings)."""


def run(settings: Settings, *, host: str, port: int, workers: int = 1) -> None:
    """Migrate the ledger, publish the statements, and serve until interrupted.

    uvicorn's own access log is off (it writes client addresses); keepfaith's logs one
    line per request without them (``access_log`` setting). On SQLite the jobs worker
    runs in this process too; on PostgreSQL, run ``keepfaith jobs work`` beside it.
    """
    statements = prepare(settings)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    ledger = Ledger.from_settings(settings)
    worker = None
    if ledger.engine.dialect.name == "sqlite":
        worker = jobs.start_worker(ledger, settings)
    try:
        _serve(settings, statements, host=host, port=port, workers=workers)
    finally:
        if worker is not None:
            worker.stop()
        ledger.close()


def _serve(
    settings: Settings, statements: dict[str, Statement], *, host: str, port: int, workers: int
) -> None:
    options = {"host": host, "port": port, "access_log": False, "server_header": False}
    if workers == 1:
        uvicorn.run(create_app(settings, statements), **options)  # type: ignore[arg-type]
        return
    with settings_file(settings) as path, _environment_without_settings(path):
        uvicorn.run(
            "keepfaith.web.server:worker_app",
            factory=True,
            workers=workers,
            **options,  # type: ignore[arg-type]
        )


def worker_app() -> FastAPI:
    """The app of one worker process, from the settings file ``run`` made for it."""
    text = Path(os.environ[WORKER_SETTINGS]).read_text(encoding="utf-8")
    return create_app(Settings.model_validate(json.loads(text)))


@contextmanager
def settings_file(settings: Settings) -> Iterator[Path]:
    """The settings, secrets included, in a file only this user may read; removed after."""
    folder = Path(tempfile.mkdtemp(prefix="keepfaith-workers-"))  # mode 0700
    path = folder / "settings.json"
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            json.dump(_revealed(settings.model_dump()), out, default=str)
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _revealed(value: Any) -> Any:
    """A settings dump with each secret's value, which pydantic's JSON would mask."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, dict):
        return {key: _revealed(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_revealed(item) for item in value]
    return value


@contextmanager
def _environment_without_settings(path: Path) -> Iterator[None]:
    """The environment workers inherit: no ``KEEPFAITH_*`` variable but the file's name."""
    kept = {name: os.environ.pop(name) for name in list(os.environ) if name.startswith(PREFIX)}
    os.environ[WORKER_SETTINGS] = str(path)
    try:
        yield
    finally:
        os.environ.pop(WORKER_SETTINGS, None)
        os.environ.update(kept)


PREFIX = "KEEPFAITH_"
