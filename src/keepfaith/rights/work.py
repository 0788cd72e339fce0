"""The jobs that do a verified case's work across the company's databases.

``rights.run`` answers a case: "do you hold data about me" (yes or no), a copy (counted
now, built when downloaded), or an erasure, which it splits into one ``rights.erase`` job
per system. Each erasure changes its database in one transaction of that database, so a
worker killed half way leaves the person untouched there, and the job runs again; run
again after it committed, it changes nothing more. The last system to finish closes the
case with what was erased, what was kept and why, and the statement's archive note.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from keepfaith import jobs
from keepfaith.connectors import maps
from keepfaith.connectors.access import Plan, read
from keepfaith.connectors.correction import correct as correct_columns
from keepfaith.connectors.datamap import DatasetMap
from keepfaith.connectors.erasure import Keep, erase
from keepfaith.connectors.reflect import open_database, reflect
from keepfaith.ledger import (
    Ledger,
    Status,
    Transaction,
    disclosures,
    holds,
    statements,
    subjects,
)
from keepfaith.ledger.cases import Case, Kind, State, get, note, trail
from keepfaith.ledger.crypto import tokens
from keepfaith.rights import correction
from keepfaith.rights.cases import RUN, finish, tell
from keepfaith.settings import Settings

ERASE = "rights.erase"
DOWNLOAD_HOURS = 72
"""How long the link to a copy stays good."""


@dataclass
class System:
    """One company database: its key, map, engine and plan (built once per process)."""

    key: str
    dataset_map: DatasetMap
    engine: sa.Engine
    plan: Plan


_systems: dict[tuple[str, str], System] = {}


def systems(tx: Transaction, settings: Settings, tenant: str) -> list[System]:
    """The tenant's databases that have a stored map and a URL in the settings."""
    found = []
    for key in maps.keys(tx, tenant):
        dataset_map = maps.stored(tx, tenant, key)
        if dataset_map is None or key not in settings.connectors:
            continue
        url = maps.url_of(settings, key)
        cache = (url, dataset_map.model_dump_json())
        if cache not in _systems:
            engine = open_database(url, writable=True)
            _systems[cache] = System(
                key, dataset_map, engine, Plan.build(dataset_map, reflect(engine))
            )
        found.append(_systems[cache])
    return found


def identities(case: Case) -> dict[str, list[Any]]:
    return {case.identity_kind: [case.identity]} if case.identity else {}


def found(tx: Transaction, settings: Settings, case: Case) -> dict[str, Any]:
    """The person's rows in every system: ``{key: (map, {table: rows})}``."""
    result: dict[str, Any] = {}
    for system in systems(tx, settings, case.tenant):
        with system.engine.connect() as connection:
            result[system.key] = (
                system.dataset_map,
                read(connection, system.plan, identities(case)),
            )
    return result


@jobs.task(RUN, attempts=5)
def run(context: jobs.Context, tenant: str, case: int) -> None:
    ledger, settings = context.ledger, context.settings
    with ledger.transaction(actor="rights") as tx:
        current = get(tx, tenant, case)
        if current.state != State.OPEN:
            return  # answered already, or denied: a repeated job does nothing
        if current.kind == Kind.DISCONTINUE:
            # The data goes back to the person first; erasure follows their download.
            note(tx, current, "copy_sent")
            _send_copy(tx, settings, current)
            return
        if current.kind == Kind.DELETE:
            _queue_erasure(tx, settings, current)
            return
        if current.kind == Kind.CORRECT:
            _correct(tx, settings, current)
            return
        rows = found(tx, settings, current)
        counts = {
            key: {t: len(r) for t, r in tables.items() if r}
            for key, (dataset_map, tables) in rows.items()
        }
        held = any(_start_rows(dataset_map, tables) for dataset_map, tables in rows.values())
        held = held or current.subject_id is not None
        if current.kind == Kind.KNOW:
            finish(tx, current, {"held": held})
            tell(tx, current, "held", held=held)
            return
        finish(tx, current, {"held": held, "rows": counts})
        _send_copy(tx, settings, current)


def _queue_erasure(tx: Transaction, settings: Settings, case: Case) -> None:
    """One erasure job per system, in this transaction (none: answer now)."""
    keys = [s.key for s in systems(tx, settings, case.tenant)]
    note(tx, case, "erasure_queued", systems=keys)
    for key in keys:
        jobs.defer(tx, ERASE, tenant=case.tenant, case=case.id, system=key)
    if not keys:
        _close_erasure(tx, case)


@jobs.task(ERASE, attempts=8)
def erase_system(context: jobs.Context, tenant: str, case: int, system: str) -> None:
    """Erase the case's person from one system, then close the case if it was the last."""
    ledger, settings = context.ledger, context.settings
    with ledger.reading(actor="rights") as tx:
        current = get(tx, tenant, case)
        chosen = next((s for s in systems(tx, settings, tenant) if s.key == system), None)
        keeps = _keeps(tx, current)
    if current.state != State.OPEN or chosen is None:
        return
    with chosen.engine.begin() as connection:
        outcome = erase(
            connection,
            chosen.plan,
            identities(current),
            holds=keeps,
            hash_key=tokens.keyed_digest(settings.secret_key, "erasure", system),
        )
    with ledger.transaction(actor="rights") as tx:
        current = get(tx, tenant, case)
        if current.state != State.OPEN:
            return
        note(tx, current, "erased", system=system, **outcome.to_dict())
        _close_erasure(tx, current)


def _correct(tx: Transaction, settings: Settings, case: Case) -> None:
    """Correct the ledger and every system (each in its own transaction), then answer."""
    answer = correction.correct(tx, case)
    changes = {
        k: v for k, v in case.details.get("changes", {}).items() if k not in answer["refused"]
    }
    answer["systems"] = {}
    for system in systems(tx, settings, case.tenant):
        with system.engine.begin() as connection:
            answer["systems"][system.key] = correct_columns(
                connection, system.plan, identities(case), changes
            )
    finish(tx, case, answer)
    unreached = []
    if answer["recipients"] and not answer["recipients_reached"]:
        unreached = sorted({r["recipient"] for r in answer["recipients"]})
    tell(
        tx,
        case,
        "corrected",
        corrected=bool(answer["corrected"] or any(answer["systems"].values())),
        refused=[
            {"category": category, "reason": why["reason"], "where": why["where"]}
            for category, why in answer["refused"].items()
        ],
        unreached=unreached,
    )


def _close_erasure(tx: Transaction, case: Case) -> None:
    """Answer the case once every queued system reported its erasure."""
    events = trail(tx, case)
    queued: list[str] = next(
        (e.details.get("systems", []) for e in reversed(events) if e.event == "erasure_queued"), []
    )
    done = {e.details["system"]: e.details for e in events if e.event == "erased"}
    if not set(queued) <= set(done):
        return
    statement = statements.get(tx, case.tenant)
    kept = {
        f"{key}.{table}": reasons
        for key, d in done.items()
        for table, reasons in d.get("kept", {}).items()
    }
    answer = {
        "erased": {
            key: {"deleted": d["deleted"], "changed": d["changed"]} for key, d in done.items()
        },
        "kept": kept,
        "archive_note": statement.rights.archive_note,
    }
    if case.subject_id is not None and not kept:
        subjects.set_status(tx, subjects.get(tx, case.tenant, case.subject_id), Status.DELETED)
    finish(tx, case, answer)
    tell(
        tx,
        case,
        "erased",
        kept=[
            {"where": where, "reasons": list(reasons)} for where, reasons in sorted(kept.items())
        ],
        archive_note=statement.rights.archive_note,
    )


def _keeps(tx: Transaction, case: Case) -> list[Keep]:
    """The person's holds in force, with what the statement says of each reason."""
    if case.subject_id is None:
        return []
    statement = statements.get(tx, case.tenant)
    declared = {h.reason: h for h in statement.rights.holds}
    subject = subjects.get(tx, case.tenant, case.subject_id)
    now = tx.now()
    return [
        Keep(h.reason, declared[h.reason].description, declared[h.reason].categories)
        if h.reason in declared
        else Keep(h.reason, h.reason)
        for h in holds.of(tx, subject)
        if h.released_at is None and (h.until is None or h.until > now)
    ]


def _start_rows(dataset_map: DatasetMap, tables: dict[str, list[Any]]) -> bool:
    return any(tables.get(table) for table, _, _ in dataset_map.identities())


def download_token(settings: Settings, case: Case) -> str:
    return tokens.dumps(settings.secret_key, "rights.download", {"case": case.id})


def case_of_download(settings: Settings, token: str) -> int:
    """The case a download link is for; ``ExpiredToken`` or ``InvalidToken`` otherwise."""
    value = tokens.loads(
        settings.secret_key, "rights.download", token, max_age=DOWNLOAD_HOURS * 3600
    )
    if not isinstance(value, dict) or not isinstance(value.get("case"), int):
        from keepfaith.exceptions import InvalidToken

        raise InvalidToken("the token is not valid")
    return int(value["case"])


def _send_copy(tx: Transaction, settings: Settings, case: Case) -> None:
    link = (
        f"{settings.public_url.rstrip('/')}/t/{case.tenant}/privacy-center/requests/download?token="
        + download_token(settings, case)
    )
    tell(tx, case, "copy", hours=DOWNLOAD_HOURS, link=link)


def export_zip(ledger: Ledger, settings: Settings, tenant: str, token: str) -> bytes:
    """The person's copy, for the download link (built now, in memory). The download of
    a "discontinue" copy queues the erasure that follows it."""
    from keepfaith.exceptions import Refused
    from keepfaith.rights.export import build

    with ledger.transaction(actor="rights") as tx:
        case = get(tx, tenant, case_of_download(settings, token))
        returning = case.kind == Kind.DISCONTINUE and case.state == State.OPEN
        if case.state != State.DONE and not returning:
            raise Refused("this copy is not ready")
        disclosed = (
            disclosures.shown_to_person(tx, tenant, subjects.get(tx, tenant, case.subject_id))
            if case.subject_id is not None
            else []
        )
        copy = build(statements.get(tx, tenant), found(tx, settings, case), tx.now(), disclosed)
        if returning and not any(e.event == "erasure_queued" for e in trail(tx, case)):
            note(tx, case, "copy_downloaded")
            _queue_erasure(tx, settings, case)
        return copy


def close() -> None:
    """Dispose of the company databases' engines this process opened."""
    for system in _systems.values():
        system.engine.dispose()
    _systems.clear()
