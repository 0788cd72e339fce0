"""The jobs page: staff of every tenant see each job's state and why a dead one failed."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import httpx
from fastapi import FastAPI

from keepfaith import jobs
from keepfaith.jobs import local, postgres
from keepfaith.ledger.staff import Role
from keepfaith.settings import Settings
from tests.jobs import tasks


def test_a_dead_job_shows_with_its_reason(
    app: FastAPI, staff_client: Callable[..., httpx.Client], database_url: str
) -> None:
    ledger = app.state.ledger
    with ledger.transaction() as tx:
        job_id = jobs.defer(tx, tasks.broken, key="shown")
    settings = Settings(database_url=database_url)
    once = {"tests.broken": dataclasses.replace(tasks.broken, attempts=1)}  # dead at once
    if ledger.engine.dialect.name == "postgresql":
        postgres.work(ledger, settings, once, burst=True)
    else:
        local.Worker(ledger, settings, once).run(burst=True)
    owner = staff_client(Role.OWNER)
    page = owner.get("/admin/jobs?status=dead")
    assert page.status_code == 200
    assert "tests.broken" in page.text and "ValueError: the remote end refused" in page.text
    [listed] = owner.get("/admin/api/jobs", params={"status": "dead"}).json()
    assert listed["id"] == job_id and listed["reason"] == "ValueError: the remote end refused"
    assert owner.get("/admin/api/jobs", params={"status": "lost"}).status_code == 422
    assert staff_client(Role.SUPPORT_AGENT).get("/admin/jobs").status_code == 403
