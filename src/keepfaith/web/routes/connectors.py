"""The company's databases in the admin area: scan one, review the proposed map.

Staff see each configured database by its key (never its URL), run a scan, and review
the proposal column by column: accept it, change it, or mark the column not personal.
Unreviewed columns come first; a re-scan proposes only what changed since. Owners and
privacy officers only: the map says where every person's data lies.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from keepfaith.connectors import Erasure, maps
from keepfaith.connectors.maps import Review
from keepfaith.connectors.taxonomy import categories
from keepfaith.exceptions import NotFound
from keepfaith.ledger import Ledger
from keepfaith.ledger.staff import Principal, Role
from keepfaith.settings import Settings
from keepfaith.statement import Statement
from keepfaith.web import deps, guard

router = guard.router(tags=["connectors"])

reviewers = deps.require_role(Role.OWNER, Role.PRIVACY_OFFICER)


@router.get(
    "/admin/t/{tenant}/connectors",
    response_class=HTMLResponse,
    dependencies=[Depends(reviewers)],
    summary="The tenant's company databases and their dataset maps",
)
def databases(
    request: Request,
    statement: Statement = Depends(deps.tenant),
    staff: Principal = Depends(reviewers),
    ledger: Ledger = Depends(deps.ledger),
    settings: Settings = Depends(deps.settings),
) -> HTMLResponse:
    with ledger.reading(actor=f"staff:{staff.name}") as tx:
        stored = set(maps.keys(tx, statement.id))
    configured = set(settings.connectors)
    rows = [
        {"key": key, "configured": key in configured, "stored": key in stored}
        for key in sorted(stored | configured)
    ]
    context = {"staff": staff, "tenant": statement.id, "databases": rows}
    return deps.render(request, "admin/connectors.html", context)


@router.post(
    "/admin/t/{tenant}/connectors/{key}/scan",
    dependencies=[Depends(reviewers)],
    summary="Scan a configured database and propose (the difference to) its map",
)
def scan_database(
    key: str,
    statement: Statement = Depends(deps.tenant),
    staff: Principal = Depends(reviewers),
    ledger: Ledger = Depends(deps.ledger),
    settings: Settings = Depends(deps.settings),
) -> Response:
    with ledger.transaction(actor=f"staff:{staff.name}") as tx:
        maps.rescan(tx, statement.id, key, settings)
    return RedirectResponse(f"/admin/t/{statement.id}/connectors/{key}", status_code=303)


@router.get(
    "/admin/t/{tenant}/connectors/{key}",
    response_class=HTMLResponse,
    dependencies=[Depends(reviewers)],
    summary="A database's map: the proposal to review, with its evidence",
)
def review_page(
    request: Request,
    key: str,
    statement: Statement = Depends(deps.tenant),
    staff: Principal = Depends(reviewers),
    ledger: Ledger = Depends(deps.ledger),
) -> HTMLResponse:
    with ledger.reading(actor=f"staff:{staff.name}") as tx:
        dataset_map = maps.stored(tx, statement.id, key)
    if dataset_map is None:
        raise NotFound(f"no dataset map {key!r}: scan the database first")
    columns = sorted(dataset_map.columns(), key=lambda tc: (tc[1].reviewed, not tc[1].personal))
    context: dict[str, Any] = {
        "staff": staff,
        "tenant": statement.id,
        "map": dataset_map,
        "columns": columns,
        "pending": sum(not c.reviewed for _, c in columns),
        "categories": sorted(key for key in categories() if key.startswith("user")),
        "erasures": [e.value for e in Erasure],
    }
    return deps.render(request, "admin/connectors_map.html", context)


@router.post(
    "/admin/t/{tenant}/connectors/{key}/review",
    dependencies=[Depends(reviewers)],
    summary="Accept, change or mark not personal one column of the map",
)
def review_column(
    key: str,
    table: str = Form(max_length=255),
    column: str = Form(max_length=255),
    action: Review = Form(),
    category: list[str] = Form(default=[]),
    identity: str = Form(default="", max_length=64),
    erasure: Erasure | None = Form(default=None),
    statement: Statement = Depends(deps.tenant),
    staff: Principal = Depends(reviewers),
    ledger: Ledger = Depends(deps.ledger),
) -> Response:
    with ledger.transaction(actor=f"staff:{staff.name}") as tx:
        maps.review(
            tx,
            statement.id,
            key,
            table,
            column,
            action,
            categories=tuple(c for c in category if c),
            identity=identity or None,
            erasure=erasure,
        )
    return RedirectResponse(f"/admin/t/{statement.id}/connectors/{key}", status_code=303)


@router.get(
    "/admin/api/t/{tenant}/connectors/{key}",
    dependencies=[Depends(reviewers)],
    summary="A database's map as JSON",
)
def map_json(
    key: str,
    statement: Statement = Depends(deps.tenant),
    staff: Principal = Depends(reviewers),
    ledger: Ledger = Depends(deps.ledger),
) -> dict[str, Any]:
    with ledger.reading(actor=f"staff:{staff.name}") as tx:
        dataset_map = maps.stored(tx, statement.id, key)
    if dataset_map is None:
        raise NotFound(f"no dataset map {key!r}")
    return dataset_map.to_dict()
