"""The staff console of one tenant: its home, people found by address or reference, a
person's file, the consent log (filtered, and as CSV) and consent rates over time.

Each page calls one function of ``keepfaith.rights.console``, which audits what staff
read. A search is a POST (with the CSRF token), so an address searched for never sits in
a URL, a browser history or an access log; every console answer is ``no-store``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup, escape

from keepfaith.collect import consent as choices
from keepfaith.exceptions import InvalidSubmission
from keepfaith.ledger import ConsentKind, Ledger
from keepfaith.ledger.staff import Principal, Role
from keepfaith.rights import console
from keepfaith.statement import Statement
from keepfaith.translatable import N_
from keepfaith.web import deps, guard
from keepfaith.web.errors import status_of
from keepfaith.web.ids import IdPath

router = guard.router(tags=["console"])

anyone = deps.require_role()
case_workers = deps.require_role(Role.OWNER, Role.PRIVACY_OFFICER, Role.SUPPORT_AGENT)
readers = deps.require_role(Role.OWNER, Role.PRIVACY_OFFICER, Role.AUDITOR)
"""Who reads the tenant's whole consent log and its rates (not one person's)."""

SECTIONS = (
    ("home", N_("Overview"), ""),
    ("subjects", N_("People"), "/subjects"),
    ("consents", N_("Consent log"), "/consents"),
    ("rates", N_("Consent rates"), "/consents/rates"),
    ("requests", N_("Requests"), "/requests"),
    ("visits", N_("Visit statistics"), "/visits"),
    ("mail", N_("Mail"), "/mail"),
)
"""The console's navigation: (key, label, path under ``/admin/t/{tenant}``)."""


def _page(
    request: Request,
    name: str,
    statement: Statement,
    staff: Principal,
    section: str,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    tenants = [s for s in deps.statements_of(request).values() if staff.may_act_for(s.id)]
    page = deps.render(
        request,
        f"console/{name}.html",
        {
            "staff": staff,
            "statement": statement,
            "tenants": tenants,
            "sections": SECTIONS,
            "section": section,
            "base": f"/admin/t/{statement.id}",
            "kind_names": {k.id: k.name for k in statement.subject_kinds},
            **context,
        },
        status_code=status_code,
    )
    page.headers["Cache-Control"] = "no-store"
    return page


def _choice_names(statement: Statement) -> dict[str, str]:
    return {c.id: c.name for c in choices.choices(statement)}


@router.get("/admin/t/{tenant}", response_class=HTMLResponse, summary="A tenant's console")
def console_home(
    request: Request,
    staff: Principal = Depends(anyone),
    statement: Statement = Depends(deps.tenant),
) -> HTMLResponse:
    return _page(request, "home", statement, staff, "home")


@router.get(
    "/admin/t/{tenant}/subjects",
    response_class=HTMLResponse,
    summary="The form to find a person by email, phone or reference",
)
def subject_search_form(
    request: Request,
    staff: Principal = Depends(case_workers),
    statement: Statement = Depends(deps.tenant),
) -> HTMLResponse:
    return _page(
        request, "subjects", statement, staff, "subjects", by="email", searched=False, errors={}
    )


@router.post(
    "/admin/t/{tenant}/subjects",
    response_class=HTMLResponse,
    summary="Find a person by email, phone or reference (matched by keyed digest)",
)
def find_subjects(
    request: Request,
    by: str = Form(default="email", max_length=16),
    q: str = Form(default="", max_length=320),
    staff: Principal = Depends(case_workers),
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
) -> HTMLResponse:
    """A POST, so what was searched for stays out of addresses, histories and logs."""
    found = None
    errors: dict[str, str] = {}
    status_code = 200
    try:
        found = console.search(ledger, statement.id, by, q, actor=staff.actor)
    except InvalidSubmission as refused:
        errors, status_code = refused.errors, status_of(refused)
    return _page(
        request,
        "subjects",
        statement,
        staff,
        "subjects",
        status_code,
        by=by if by in console.SEARCH_BY else "email",
        searched=not errors,
        found=found,
        errors=errors,
    )


@router.get(
    "/admin/t/{tenant}/subjects/{subject_id}",
    response_class=HTMLResponse,
    summary="A person's file: records, consents, disclosures, requests, audit story",
)
def subject_page(
    request: Request,
    subject_id: IdPath,
    staff: Principal = Depends(case_workers),
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
) -> HTMLResponse:
    secret = deps.settings_of(request).secret_key
    file = console.subject_file(
        ledger, statement.id, subject_id, actor=staff.actor, secret_key=secret
    )
    categories = {c.id: c.name for c in statement.categories}
    return _page(
        request,
        "subject",
        statement,
        staff,
        "subjects",
        file=file,
        categories=categories,
        names=_choice_names(statement),
    )


def _filter(
    choice: str | None, kind: str | None, since: str | None, until: str | None
) -> console.LogFilter:
    """The log's filter from the query string; ``InvalidSubmission`` by field."""
    errors: dict[str, str] = {}
    kinds = {k.value for k in ConsentKind}
    if kind and kind not in kinds:
        errors["kind"] = f"must be one of {', '.join(sorted(kinds))}"
    days: dict[str, dt.date | None] = {}
    for name, text in (("since", since), ("until", until)):
        try:
            days[name] = dt.date.fromisoformat(text) if text else None
        except ValueError:
            errors[name] = "must be a date, YYYY-MM-DD"
    if errors:
        raise InvalidSubmission(errors)
    return console.LogFilter(choice or None, kind or None, days["since"], days["until"])


@router.get(
    "/admin/t/{tenant}/consents",
    response_class=HTMLResponse,
    summary="The consent log, newest first, by choice, kind and dates",
)
def consent_log(
    request: Request,
    choice: str | None = Query(default=None, max_length=80),
    kind: str | None = Query(default=None, max_length=16),
    since: str | None = Query(default=None, max_length=10),
    until: str | None = Query(default=None, max_length=10),
    before: int | None = Query(default=None, ge=1),
    staff: Principal = Depends(readers),
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
) -> HTMLResponse:
    errors: dict[str, str] = {}
    events: list[Any] = []
    try:
        wanted = _filter(choice, kind, since, until)
        events = console.consent_log(
            ledger, statement.id, wanted, actor=staff.actor, before_id=before
        )
    except InvalidSubmission as refused:
        errors = refused.errors
    query = request.url.query
    return _page(
        request,
        "consents",
        statement,
        staff,
        "consents",
        422 if errors else 200,
        events=events,
        errors=errors,
        names=_choice_names(statement),
        kinds=[k.value for k in ConsentKind],
        wanted={
            "choice": choice or "",
            "kind": kind or "",
            "since": since or "",
            "until": until or "",
        },
        csv_query=_without(query, "before"),
        more=events[-1].id if len(events) == console.LOG_LIMIT else None,
    )


def _without(query: str, name: str) -> str:
    return "&".join(p for p in query.split("&") if p and not p.startswith(f"{name}="))


@router.get(
    "/admin/t/{tenant}/consents.csv",
    summary="The consent log as CSV, with the page's filters",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def consent_csv(
    choice: str | None = Query(default=None, max_length=80),
    kind: str | None = Query(default=None, max_length=16),
    since: str | None = Query(default=None, max_length=10),
    until: str | None = Query(default=None, max_length=10),
    staff: Principal = Depends(readers),
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
) -> Response:
    text = console.consent_csv(
        ledger, statement.id, _filter(choice, kind, since, until), actor=staff.actor
    )
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="consents-{statement.id}.csv"',
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/admin/t/{tenant}/consents/rates",
    response_class=HTMLResponse,
    summary="Consent rates per purpose over time (a chart and its table)",
)
def consent_rates(
    request: Request,
    staff: Principal = Depends(readers),
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
) -> HTMLResponse:
    rates = console.consent_rates(ledger, statement.id)
    names = _choice_names(statement)
    return _page(
        request,
        "rates",
        statement,
        staff,
        "rates",
        rates=rates,
        names=names,
        chart=rates_chart(rates, names),
        colours=COLOURS,
    )


COLOURS = ("#0b5cad", "#b35900", "#1a7f37", "#8250df", "#cf222e", "#4d5a66")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2", "10 4")
"""Each line has a colour and a dash pattern, so the chart reads without colour too."""


def rates_chart(rates: console.Rates, names: dict[str, str]) -> Markup:
    """Consent rates as an inline SVG line chart: one line per choice, 0 to 100 %, with
    a title per point; the table beside it holds the same figures for screen readers."""
    width, height, left, bottom = 720, 240, 40, 40
    months = rates.months
    step = (width - left - 20) / max(len(months) - 1, 1)
    title = "Consent given per purpose, % of decisions, by month"
    parts = [
        f'<svg role="img" viewBox="0 0 {width} {height + bottom}" width="100%"'
        f' aria-label="{escape(title)}" class="chart"><title>{escape(title)}</title>'
    ]
    for tick in (0, 25, 50, 75, 100):
        y = height - height * tick / 100 + 10
        parts.append(
            f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="currentColor"'
            f' stroke-opacity="0.15"/><text x="{left - 6}" y="{y + 3:.1f}" font-size="10"'
            f' text-anchor="end" fill="currentColor">{tick}%</text>'
        )
    for index, month in enumerate(months):
        x = left + index * step
        parts.append(
            f'<text x="{x:.1f}" y="{height + 26}" font-size="10" text-anchor="middle"'
            f' fill="currentColor">{escape(month)}</text>'
        )
    for number, (choice, found) in enumerate(rates.by_choice.items()):
        colour, dash = COLOURS[number % len(COLOURS)], DASHES[number % len(DASHES)]
        name = escape(names.get(choice, choice))
        points = [
            (left + i * step, height - height * r.rate + 10, r)
            for i, r in enumerate(found)
            if r.given + r.withdrawn
        ]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"'
                f' stroke-dasharray="{dash}"/>'
            )
        for x, y, r in points:
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"><title>{name},'
                f" {escape(r.month)}: {r.rate * 100:.0f}% ({r.given}/{r.given + r.withdrawn})"
                "</title></circle>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))
