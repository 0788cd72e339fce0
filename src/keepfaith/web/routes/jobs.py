"""Background jobs for staff: what is queued, running, done and dead, and why.

Jobs span the deployment, so staff kept to one tenant get 403 (see ``require_role``).
Owners, privacy officers and auditors may look; nobody changes a job from here.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse

from keepfaith import jobs
from keepfaith.ledger import Ledger
from keepfaith.ledger.staff import Principal, Role
from keepfaith.web import deps, guard

router = guard.router(tags=["jobs"])

readers = deps.require_role(Role.OWNER, Role.PRIVACY_OFFICER, Role.AUDITOR)
Status = Query(None, pattern="^(" + "|".join(jobs.STATUSES) + ")$", description="Only this state.")
Limit = Query(100, ge=1, le=1000, description="At most this many, newest first.")


@router.get("/admin/jobs", response_class=HTMLResponse, summary="Background jobs and their state")
def jobs_page(
    request: Request,
    status: str | None = Status,
    limit: int = Limit,
    staff: Principal = Depends(readers),
    ledger: Ledger = Depends(deps.ledger),
) -> HTMLResponse:
    context = {
        "staff": staff,
        "jobs": jobs.list_jobs(ledger, status, limit),
        "status": status,
        "statuses": jobs.STATUSES,
    }
    return deps.render(request, "admin/jobs.html", context)


@router.get("/admin/api/jobs", summary="Background jobs as JSON")
def jobs_json(
    status: str | None = Status,
    limit: int = Limit,
    staff: Principal = Depends(readers),
    ledger: Ledger = Depends(deps.ledger),
) -> list[dict[str, Any]]:
    return [job.to_dict() for job in jobs.list_jobs(ledger, status, limit)]
