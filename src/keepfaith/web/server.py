"""Running the app: prepare the ledger once, then serve it with uvicorn.

With several workers each process builds its own app from the same settings, handed to
it through the environment (uvicorn starts workers from an import string, not an object).
"""

from __future__ import annotations

import logging
import os

import uvicorn
from fastapi import FastAPI

from keepfaith import jobs
from keepfaith.ledger import Ledger
from keepfaith.settings import Settings
from keepfaith.statement import Statement
from keepfaith.web.app import create_app, prepare

WORKER_SETTINGS = "_KEEPFAITH_WORKER_SETTINGS"


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
    os.environ[WORKER_SETTINGS] = settings.model_dump_json()
    uvicorn.run(
        "keepfaith.web.server:worker_app",
        factory=True,
        workers=workers,
        **options,  # type: ignore[arg-type]
    )


def worker_app() -> FastAPI:
    """The app of one worker process, from the settings ``run`` left in the environment."""
    return create_app(Settings.model_validate_json(os.environ[WORKER_SETTINGS]))
