"""The privacy center: where a person sees every choice the statement gives and changes it.

A person arrives by the signed link a message carried (``?token=...``): the token is
exchanged at once for a session cookie and the browser is redirected, so the token
leaves the address bar and the history. Where the statement verifies people by login,
they may also set a password and sign in with it (DG-14), and edit their own profile
if the statement makes correction self-service. Staff correct a person's data for them
under ``/admin`` (ES-16), with an audit trail.
"""

from __future__ import annotations

from typing import Any

from fastapi import Body, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from keepfaith.collect import accounts
from keepfaith.collect import consent as choices
from keepfaith.collect.links import (
    SESSION_MAX_AGE,
    link_token,
    read_link_token,
    read_session_token,
    session_token,
)
from keepfaith.exceptions import InvalidSubmission, KeepfaithError, NotSignedIn, Refused
from keepfaith.ledger import ConsentMethod, Ledger, Subject, subjects
from keepfaith.ledger.staff import Principal, Role
from keepfaith.messaging import sign_in
from keepfaith.rights import overview
from keepfaith.settings import Settings
from keepfaith.statement import Statement
from keepfaith.statement.schema import Handling
from keepfaith.statement.translations import localised
from keepfaith.web import deps, guard, i18n
from keepfaith.web.errors import status_of
from keepfaith.web.ids import IdPath, is_id
from keepfaith.web.routes.consent import (
    _subject,
    choices_json,
    person,
    person_cookie,
    policy_url,
    with_gpc,
)

router = guard.router(tags=["privacy center"])

correctors = deps.require_role(Role.OWNER, Role.PRIVACY_OFFICER, Role.SUPPORT_AGENT)


def _home(statement: Statement) -> str:
    return f"/t/{statement.id}/privacy-center"


def _signed_in(request: Request, statement: Statement, subject: Subject) -> Response:
    """Redirect to the privacy center with a fresh session cookie for ``subject``."""
    settings = deps.settings_of(request)
    response = RedirectResponse(_home(statement), status_code=303)
    value = session_token(settings.secret_key, statement.id, str(subject.id))
    deps.set_cookie(request, response, person_cookie(statement.id), value, max_age=SESSION_MAX_AGE)
    response.headers["Cache-Control"] = "no-store"
    return response


def _current_person(request: Request, statement: Statement, ledger: Ledger) -> Subject | None:
    cookie = request.cookies.get(person_cookie(statement.id))
    if not cookie:
        return None
    try:
        subject_id = read_session_token(deps.settings_of(request).secret_key, statement.id, cookie)
        return with_gpc(request, ledger, _subject(ledger, statement.id, subject_id))
    except NotSignedIn:
        return None


def _page(
    request: Request,
    statement: Statement,
    ledger: Ledger,
    subject: Subject | None,
    *,
    message: str | None = None,
    refused: KeepfaithError | None = None,
    sent: bool = False,
) -> HTMLResponse:
    """The privacy center page, with a message, or showing why a change was refused
    (beside each field, with the status ``keepfaith.web.errors`` gives the refusal)."""
    errors: dict[str, str] = {}
    status_code = 200
    # What the page shows of the declaration (choice names, categories) in its language.
    statement = localised(statement, deps.page_language(request, statement))
    if refused is not None:
        status_code = status_of(refused)
        if isinstance(refused, InvalidSubmission):
            errors = refused.errors
        else:
            message = str(refused)
    context: dict[str, Any] = {
        "statement": statement,
        "home": _home(statement),
        "offers_login": accounts.offers_login(statement),
        "message": message,
        "sent": sent,
        "errors": errors,
        "subject": subject,
    }
    if subject is not None:
        subject = _language_kept(request, statement, ledger, subject)
        context["subject"] = subject
        settings = deps.settings_of(request)
        context["overview"] = overview.of_person(
            ledger,
            statement,
            subject,
            secret_key=settings.secret_key,
            policy_url=policy_url(request, statement),
        )
        context["group_titles"] = overview.GROUP_TITLES
        context["profile"] = accounts.profile(ledger, statement, subject)
        context["self_service"] = accounts.correction_handling(statement) is Handling.SELF_SERVICE
    page = deps.render(request, "collect/privacy_center.html", context, status_code=status_code)
    page.headers["Cache-Control"] = "no-store"
    return page


def _language_kept(
    request: Request, statement: Statement, ledger: Ledger, subject: Subject
) -> Subject:
    """The person, with the language they chose for this page kept on them (written
    only when it changed): their messages are written in the page they last used."""
    language = deps.chosen_language(request, statement)
    if language is None or language == subject.language:
        return subject
    with ledger.transaction(actor="privacy center") as tx:
        return subjects.set_language(tx, subject, language)


@router.get(
    "/t/{tenant}/privacy-center",
    response_class=HTMLResponse,
    summary="The privacy center (a link's ?token= is exchanged for a session cookie)",
)
def privacy_center(
    request: Request,
    token: str | None = None,
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
    settings: Settings = Depends(deps.settings),
) -> Response:
    if token is not None:
        try:
            subject_id = read_link_token(settings.secret_key, statement.id, token)
            subject = _subject(ledger, statement.id, subject_id)
        except NotSignedIn as error:
            return _page(request, statement, ledger, None, refused=error)
        return _signed_in(request, statement, with_gpc(request, ledger, subject))
    return _page(request, statement, ledger, _current_person(request, statement, ledger))


@router.post(
    "/t/{tenant}/privacy-center/choices",
    dependencies=[Depends(deps.verify_csrf)],
    summary="Save the person's choices from the privacy center's form",
)
async def save_choices(
    request: Request,
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
    subject: Subject = Depends(person),
) -> Response:
    """A box present in the form is on, absent is off; only changed choices are recorded."""
    posted = await request.form()
    wanted = {
        state["id"]: posted.get(f"choice:{state['id']}") == "on"
        for state in choices_json(ledger, statement, subject)
    }
    current = {s["id"]: s["on"] for s in choices_json(ledger, statement, subject)}
    changed = {cid: on for cid, on in wanted.items() if on != current[cid]}
    if changed:
        choices.change(
            ledger,
            statement,
            subject,
            changed,
            method=ConsentMethod.EXPLICIT,
            evidence={"via": "privacy_center", "control": "checkbox"},
        )
    return RedirectResponse(_home(statement) + "?saved=1", status_code=303)


@router.post(
    "/t/{tenant}/privacy-center/login",
    response_class=HTMLResponse,
    dependencies=[Depends(deps.verify_csrf)],
    summary="Sign in to the privacy center with email and password (where offered)",
)
def person_login(
    request: Request,
    email: str = Form(max_length=320),
    password: str = Form(max_length=1024),
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
    settings: Settings = Depends(deps.settings),
) -> Response:
    try:
        subject = accounts.sign_in(ledger, statement, settings.secret_key, email, password)
    except NotSignedIn as error:
        return _page(request, statement, ledger, None, refused=error)
    return _signed_in(request, statement, subject)


@router.post(
    "/t/{tenant}/privacy-center/sign-in",
    response_class=HTMLResponse,
    dependencies=[Depends(deps.verify_csrf)],
    summary="Ask for a sign-in link by email (the same answer for any address)",
)
def person_link(
    request: Request,
    email: str = Form(max_length=320),
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
    settings: Settings = Depends(deps.settings),
) -> Response:
    client = request.client.host if request.client else ""
    try:
        language = i18n.choose(
            i18n.offered(statement),
            None,
            request.cookies.get(i18n.COOKIE),
            request.headers.get("accept-language"),
        )
        sign_in.request_link(ledger, settings, statement.id, email, client, language=language)
    except InvalidSubmission as refused:
        return _page(request, statement, ledger, None, refused=refused)
    return _page(request, statement, ledger, None, message=sign_in.ANSWER, sent=True)


@router.post(
    "/t/{tenant}/privacy-center/password",
    response_class=HTMLResponse,
    dependencies=[Depends(deps.verify_csrf)],
    summary="Set a password for signing in to the privacy center (where offered)",
)
def person_password(
    request: Request,
    email: str = Form(max_length=320),
    password: str = Form(max_length=1024),
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
    settings: Settings = Depends(deps.settings),
    subject: Subject = Depends(person),
) -> Response:
    try:
        accounts.set_password(ledger, statement, settings.secret_key, subject, email, password)
    except InvalidSubmission as refused:
        return _page(request, statement, ledger, subject, refused=refused)
    return _page(request, statement, ledger, subject, message="Your password is set.")


@router.post(
    "/t/{tenant}/privacy-center/profile",
    response_class=HTMLResponse,
    dependencies=[Depends(deps.verify_csrf)],
    summary="Edit the person's own profile (where correction is self-service)",
)
async def person_profile(
    request: Request,
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
    subject: Subject = Depends(person),
) -> Response:
    posted = await request.form()
    held = {entry.record_id: entry.value for entry in accounts.profile(ledger, statement, subject)}
    changes: dict[int, str] = {}
    for key, value in posted.multi_items():
        if key.startswith("record:") and isinstance(value, str):
            rid = int(key[7:]) if is_id(key[7:]) else -1
            if held.get(rid) != value.strip():
                changes[rid] = value
    try:
        if changes:
            accounts.edit_profile(ledger, statement, subject, changes)
    except Refused as refused:
        return _page(request, statement, ledger, subject, refused=refused)
    return _page(request, statement, ledger, subject, message="Your profile is saved.")


@router.post(
    "/t/{tenant}/privacy-center/logout",
    dependencies=[Depends(deps.verify_csrf)],
    summary="Leave the privacy center: the session cookie is removed",
)
def person_logout(statement: Statement = Depends(deps.tenant)) -> Response:
    response = RedirectResponse(_home(statement), status_code=303)
    response.delete_cookie(person_cookie(statement.id), path="/")
    return response


# ---------------------------------------------------------------------------- staff


@router.get(
    "/admin/api/t/{tenant}/subjects/{subject_id}/profile",
    summary="A person's records, for staff handling a correction",
)
def staff_profile(
    subject_id: IdPath,
    staff: Principal = Depends(correctors),
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
) -> list[dict[str, Any]]:
    with ledger.reading() as tx:
        subject = subjects.get(tx, statement.id, subject_id)
    return [
        {"record": e.record_id, "category": e.category, "name": e.name, "value": e.value}
        for e in accounts.profile(ledger, statement, subject)
    ]


@router.post(
    "/admin/api/t/{tenant}/subjects/{subject_id}/corrections",
    summary="Correct a person's records on their request (staff-handled correction)",
    responses={422: {"description": 'Refused by record: `{"errors": {record: reason}}`'}},
)
def staff_correction(
    subject_id: IdPath,
    payload: dict[str, Any] = Body(examples=[{"records": {"12": "New Name"}}]),
    staff: Principal = Depends(correctors),
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
) -> dict[str, Any]:
    """``{"records": {record id: new value}}``; the audit chain names the staff member."""
    wanted = payload.get("records")
    if set(payload) != {"records"} or not isinstance(wanted, dict):
        raise InvalidSubmission({"records": 'send {"records": {record id: new value}}'})
    bad = {
        str(k): "must be a record id and a text value"
        for k, v in wanted.items()
        if not is_id(str(k)) or not isinstance(v, str)
    }
    if bad:
        raise InvalidSubmission(bad)
    with ledger.reading() as tx:
        subject = subjects.get(tx, statement.id, subject_id)
    changes = {int(k): v for k, v in wanted.items()}
    corrected = accounts.correct_by_staff(ledger, statement, subject, changes, actor=staff.actor)
    return {"subject": subject.id, "corrected": [r.id for r in corrected]}


@router.post(
    "/admin/api/t/{tenant}/subjects/{subject_id}/privacy-link",
    summary="A signed privacy-center link for a person, to send them",
)
def staff_privacy_link(
    subject_id: IdPath,
    request: Request,
    staff: Principal = Depends(correctors),
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
    settings: Settings = Depends(deps.settings),
) -> dict[str, Any]:
    # Whoever holds the link acts as the person for 30 days: who minted it is on record.
    with ledger.transaction(actor=staff.actor) as tx:
        subject = subjects.get(tx, statement.id, subject_id)
        tx.audit("mint_link", "subject", subject.id, tenant=statement.id)
    token = link_token(settings.secret_key, statement.id, str(subject.id))
    url = request.url_for("privacy_center", tenant=statement.id).include_query_params(token=token)
    return {"subject": subject.id, "url": str(url)}
