"""Staff access: sign in and out, the admin home, and staff management.

Every route under ``/admin`` depends on ``require_role``; anonymous callers get 401 and
callers with another role 403. A staff member or token scoped to one tenant sees and
acts on that tenant only; managing staff is for unscoped owners (see ``require_role``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from keepfaith.exceptions import InvalidSubmission, NotSignedIn, Refused
from keepfaith.ledger import Ledger
from keepfaith.ledger import staff as staff_store
from keepfaith.ledger.staff import Principal, Role
from keepfaith.settings import Settings
from keepfaith.web import deps, guard
from keepfaith.web.errors import status_of, wants_html
from keepfaith.web.ids import IdPath

router = guard.router(tags=["admin"])

anyone = deps.require_role()
staff_manager = deps.require_role(Role.OWNER, within_tenant=True)
"""Owners manage staff: the deployment's owners all of it, a tenant's owner its own."""


# ---------------------------------------------------------------------------- sign in


@router.get("/login", response_class=HTMLResponse, summary="The staff sign-in form")
def login_form(request: Request) -> HTMLResponse:
    return deps.render(request, "login.html")


@router.post(
    "/login",
    response_class=HTMLResponse,
    dependencies=[Depends(deps.verify_csrf)],
    summary="Sign in: opens a session and sets its cookie",
)
def login(
    request: Request,
    email: str = Form(),
    password: str = Form(),
    ledger: Ledger = Depends(deps.ledger),
    settings: Settings = Depends(deps.settings),
) -> Response:
    lifetime = dt.timedelta(minutes=settings.session_lifetime_minutes)
    try:
        with ledger.transaction(actor="web") as tx:
            user = staff_store.authenticate(tx, email, password)
            token = staff_store.start_session(tx, user, lifetime)
    except NotSignedIn as error:
        return deps.render(request, "login.html", {"error": str(error)}, status_of(error))
    response = RedirectResponse("/admin", status_code=303)
    deps.set_cookie(
        request, response, deps.SESSION_COOKIE, token, max_age=int(lifetime.total_seconds())
    )
    return response


@router.post(
    "/logout", dependencies=[Depends(deps.verify_csrf)], summary="Sign out: ends the session"
)
def logout(request: Request, ledger: Ledger = Depends(deps.ledger)) -> Response:
    token = request.cookies.get(deps.SESSION_COOKIE)
    if token:
        with ledger.transaction(actor="web") as tx:
            staff_store.end_session(tx, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(deps.SESSION_COOKIE, path="/")
    return response


# ---------------------------------------------------------------------------- admin


def _tenants(request: Request, staff: Principal) -> list[dict[str, Any]]:
    """The tenants this caller may act for, with their public links."""
    return [
        {
            "tenant": statement.id,
            "organisation": statement.organisation.name,
            "version": statement.version,
            "statement": f"/t/{statement.id}/",
            "versions": f"/t/{statement.id}/versions",
            "console": f"/admin/t/{statement.id}",
        }
        for statement in deps.statements_of(request).values()
        if staff.may_act_for(statement.id)
    ]


@router.get("/admin", response_class=HTMLResponse, summary="Admin home: tenants and links")
def admin_home(request: Request, staff: Principal = Depends(anyone)) -> HTMLResponse:
    return deps.render(
        request, "admin/home.html", {"staff": staff, "tenants": _tenants(request, staff)}
    )


@router.get("/admin/api/tenants", summary="The tenants the caller may act for")
def api_tenants(request: Request, staff: Principal = Depends(anyone)) -> list[dict[str, Any]]:
    return _tenants(request, staff)


@router.get("/admin/api/me", summary="The calling staff member or token and its role")
def api_me(staff: Principal = Depends(anyone)) -> dict[str, Any]:
    return {
        "kind": staff.kind,
        "name": staff.name,
        "role": staff.role.value,
        "tenant": staff.tenant,
    }


@router.get("/admin/staff", response_class=HTMLResponse, summary="Staff users (owner only)")
def staff_page(
    request: Request,
    staff: Principal = Depends(staff_manager),
    ledger: Ledger = Depends(deps.ledger),
) -> HTMLResponse:
    return deps.render(request, "admin/staff.html", _staff_context(ledger, staff))


def _staff_context(ledger: Ledger, staff: Principal, **more: Any) -> dict[str, Any]:
    """The staff page's users and API tokens, within the caller's reach."""
    with ledger.reading() as tx:
        users = staff_store.users(tx, staff.tenant)
        tokens = staff_store.live_tokens(tx, staff.tenant)
    return {"staff": staff, "users": users, "tokens": tokens, "roles": list(Role), **more}


@router.post(
    "/admin/staff",
    response_class=HTMLResponse,
    dependencies=[Depends(staff_manager)],  # checks the CSRF token too, after the role
    summary="Add a staff user (owner only)",
)
def add_staff(
    request: Request,
    email: str = Form(),
    password: str = Form(),
    role: Role = Form(),
    staff: Principal = Depends(staff_manager),
    ledger: Ledger = Depends(deps.ledger),
) -> Response:
    """A tenant's owner adds staff of that tenant only, so nobody widens their own reach.

    A browser gets the form again with the reason (HTML); any other client the JSON
    refusal every API sends (``{"detail", "errors"}``), with the same status.
    """
    try:
        with ledger.transaction(actor=staff.actor) as tx:
            staff_store.create_user(tx, email, password, role, tenant=staff.tenant)
    except InvalidSubmission as error:
        if not wants_html(request):
            raise
        context = _staff_context(ledger, staff, error=str(error))
        return deps.render(request, "admin/staff.html", context, status_of(error))
    return RedirectResponse("/admin/staff", status_code=303)


@router.post(
    "/admin/staff/{user_id}/disable",
    summary="Disable a staff user: no more sign-in, open sessions end (owner only)",
)
def disable_staff(
    user_id: IdPath,
    request: Request,
    staff: Principal = Depends(staff_manager),
    ledger: Ledger = Depends(deps.ledger),
) -> Response:
    """A tenant's owner disables that tenant's staff only; nobody disables themselves,
    so a deployment always keeps the owner who is acting."""
    if staff.kind == "user" and staff.id == user_id:
        raise Refused("you cannot disable yourself: ask another owner")
    with ledger.transaction(actor=staff.actor) as tx:
        staff_store.disable_user(tx, user_id, tenant=staff.tenant)
    return _done(request, {"disabled": user_id})


@router.post(
    "/admin/tokens",
    response_class=HTMLResponse,
    summary="Issue an API token: shown once, stored hashed (owner only)",
    responses={201: {"description": 'The token, to a JSON client: `{"token": "kf_..."}`'}},
)
def add_api_token(
    request: Request,
    name: str = Form(max_length=255),
    role: Role = Form(),
    staff: Principal = Depends(staff_manager),
    ledger: Ledger = Depends(deps.ledger),
) -> Response:
    """A tenant's owner issues tokens of that tenant only. The token is in this answer
    and nowhere else: a browser sees it once on the staff page."""
    try:
        with ledger.transaction(actor=staff.actor) as tx:
            token = staff_store.create_token(tx, name, role, tenant=staff.tenant)
    except InvalidSubmission as error:
        if not wants_html(request):
            raise
        context = _staff_context(ledger, staff, error=str(error))
        return deps.render(request, "admin/staff.html", context, status_of(error))
    if not wants_html(request):
        return JSONResponse(
            {"token": token}, status_code=201, headers={"Cache-Control": "no-store"}
        )
    page = deps.render(request, "admin/staff.html", _staff_context(ledger, staff, new_token=token))
    page.headers["Cache-Control"] = "no-store"
    return page


@router.post(
    "/admin/tokens/{token_id}/revoke",
    summary="Revoke an API token: it stops working at once (owner only)",
)
def revoke_api_token(
    token_id: IdPath,
    request: Request,
    staff: Principal = Depends(staff_manager),
    ledger: Ledger = Depends(deps.ledger),
) -> Response:
    with ledger.transaction(actor=staff.actor) as tx:
        staff_store.revoke_token(tx, token_id, tenant=staff.tenant)
    return _done(request, {"revoked": token_id})


def _done(request: Request, body: dict[str, Any]) -> Response:
    """Back to the staff page for a browser; the outcome as JSON for anyone else."""
    if wants_html(request):
        return RedirectResponse("/admin/staff", status_code=303)
    return JSONResponse(body)
