"""Collection points over HTTP: a JSON endpoint and an HTML form for each declared point.

Both call ``keepfaith.collect.points.submit``; a refusal comes back field by field
(``422 {"errors": {field: reason}}`` for JSON, the form again with each reason beside
its field for HTML) and nothing is stored. Both are public writes, so the app's rate
limit applies to them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import Body, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from keepfaith.collect.accounts import CREDENTIALS_CATEGORY
from keepfaith.collect.points import (
    AGE_CATEGORIES,
    Submission,
    collection_point,
    shown_again,
    submit,
)
from keepfaith.exceptions import InvalidSubmission, NotFound
from keepfaith.ledger import Ledger
from keepfaith.settings import Settings
from keepfaith.statement import Statement
from keepfaith.statement.schema import CollectionKind, CollectionPoint
from keepfaith.statement.translations import localised
from keepfaith.web import deps, guard, i18n
from keepfaith.web.errors import status_of
from keepfaith.web.ids import is_number

router = guard.router(tags=["collection points"])

AGE_INPUT = "_age"
"""The HTML form's age input; a leading underscore cannot clash with a declared field."""
CONSENT_INPUT = "consent:"
"""Prefix of the HTML form's consent checkboxes (``consent:newsletter``)."""


class SubmissionIn(BaseModel):
    """What a site posts to a collection point (documented shape; checked field by field)."""

    model_config = ConfigDict(extra="forbid")

    fields: dict[str, Any] = Field(description="Field name -> value, as the point declares.")
    consents: dict[str, Any] = Field(
        default_factory=dict,
        description='Purpose -> true where the person ticked its box; `"default"` for a '
        "value nobody ticked is recorded and is not consent.",
    )
    age: int | None = Field(default=None, description="The person's age, for the age gate.")
    birth_date: dt.date | None = Field(default=None, description="Or their date of birth.")
    subject_kind: str | None = Field(default=None, description="Which kind of person this is.")
    region: str | None = Field(
        default=None, max_length=16, description="Where the person is (ISO 3166: DE, US-CA)."
    )
    language: Any = Field(
        default=None,
        description="The language the person used (BCP 47: de, pt-BR), kept on them where "
        "the statement declares it, else ignored; without it, the request's "
        "`Accept-Language`. Their messages are written in it.",
    )


def _parse(payload: dict[str, Any]) -> SubmissionIn:
    """The posted body, or ``InvalidSubmission`` naming each wrong key (never its value)."""
    errors: dict[str, str] = {}
    for key in payload:
        if key not in SubmissionIn.model_fields:
            errors[key] = (
                "unknown key: send fields, consents, age, birth_date, subject_kind, region, "
                "language"
            )
    if not isinstance(payload.get("fields"), dict):
        errors["fields"] = "must be an object of field name -> value"
    if "consents" in payload and not isinstance(payload["consents"], dict):
        errors["consents"] = "must be an object of purpose -> true"
    if errors:
        raise InvalidSubmission(errors)
    try:
        return SubmissionIn.model_validate(payload)
    except ValidationError as error:
        wrong = {str(e["loc"][0]) if e["loc"] else "body" for e in error.errors()}
        raise InvalidSubmission(dict.fromkeys(sorted(wrong), "has the wrong type")) from None


def _result(done: Submission) -> dict[str, Any]:
    return {
        "tenant": done.tenant,
        "point": done.point,
        "statement_version": done.statement_version,
        "subject": done.subject_id,
        "records": len(done.records),
        "consented": list(done.consented),
        "redacted": list(done.redacted),
    }


@router.post(
    "/api/t/{tenant}/collect/{point}",
    status_code=201,
    summary="Submit data at a declared collection point",
    responses={422: {"description": 'Refused field by field: `{"errors": {field: reason}}`'}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": SubmissionIn.model_json_schema()}},
        }
    },
)
def collect_json(
    point: str,
    request: Request,
    payload: dict[str, Any] = Body(),
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
    settings: Settings = Depends(deps.settings),
) -> JSONResponse:
    """Store the submission whole, or refuse it whole with a reason per field."""
    body = _parse(payload)
    done = submit(
        ledger,
        statement,
        point,
        body.fields,
        consents=body.consents,
        age=body.birth_date if body.birth_date is not None else body.age,
        subject_kind=body.subject_kind,
        secret_key=settings.secret_key,
        gpc=deps.sends_gpc(request),
        region=body.region,
        language=i18n.spoken(statement, body.language, request.headers.get("accept-language")),
    )
    return JSONResponse(_result(done), status_code=201)


# ---------------------------------------------------------------------------- HTML form


def _form_point(statement: Statement, point_id: str) -> CollectionPoint:
    point = collection_point(statement, point_id)
    if point.kind is not CollectionKind.FORM or point.single_use:
        raise NotFound(f"collection point {point_id!r} has no form")
    return point


def _form_page(
    request: Request,
    statement: Statement,
    point: CollectionPoint,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    done: Submission | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    errors = errors or {}
    declared = {f.name for f in point.fields}
    # The point's name, labels and purposes in the page's language (``translations``).
    statement = localised(statement, deps.page_language(request, statement))
    point = statement.collection_point(point.id)
    context = {
        "statement": statement,
        "point": point,
        "purposes": [statement.purpose(p) for p in point.purposes],
        "consents": [statement.purpose(p) for p in point.consent_for],
        # Passwords are never sent back in a page, nor sensitive values (see shown_again).
        "secret": {f.name for f in point.fields if f.category.startswith(CREDENTIALS_CATEGORY)},
        "values": shown_again(statement, point, values or {}),
        "errors": errors,
        "other_errors": {k: v for k, v in errors.items() if k not in declared | {"age"}},
        "age_error": errors.get("age") if "age" not in declared else None,
        # The gate asks the age itself unless the point has an age field of its own.
        "asks_age": statement.children is not None
        and statement.children.asks_age
        and not any(f.category.startswith(AGE_CATEGORIES) for f in point.fields),
        "minimum_age": statement.children.minimum_age if statement.children else None,
        "age_input": AGE_INPUT,
        "consent_input": CONSENT_INPUT,
        "done": done,
    }
    return deps.render(request, "collect/form.html", context, status_code=status_code)


@router.get(
    "/t/{tenant}/forms/{point}",
    response_class=HTMLResponse,
    summary="The HTML form of a collection point, rendered from its declaration",
)
def form(point: str, request: Request, statement: Statement = Depends(deps.tenant)) -> HTMLResponse:
    """Labels, required markers and unticked consent boxes, as the statement declares."""
    return _form_page(request, statement, _form_point(statement, point))


@router.post(
    "/t/{tenant}/forms/{point}",
    response_class=HTMLResponse,
    dependencies=[Depends(deps.verify_csrf)],
    summary="Submit the HTML form of a collection point",
)
async def form_submit(
    point: str,
    request: Request,
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
) -> Response:
    """Store the submission, or show the form again with each field's reason beside it."""
    declared = _form_point(statement, point)
    posted = await request.form()
    fields: dict[str, object] = {}
    consents: dict[str, object] = {}
    age: int | None = None
    errors: dict[str, str] = {}
    for key, value in posted.multi_items():
        if not isinstance(value, str):
            errors[key] = "files are not accepted here"
        elif key == deps.CSRF_FIELD:
            continue
        elif key == AGE_INPUT:
            if value.strip():
                age = int(value) if is_number(value.strip()) else -1
        elif key.startswith(CONSENT_INPUT):
            consents[key[len(CONSENT_INPUT) :]] = value
        else:
            fields[key] = value
    if age == -1:
        errors["age"] = "must be a whole number of years"
    values = {k: str(v) for k, v in fields.items()}
    try:
        if errors:
            raise InvalidSubmission(errors)
        done = await run_in_threadpool(
            submit,
            ledger,
            statement,
            point,
            fields,
            consents=consents,
            age=age,
            secret_key=deps.settings_of(request).secret_key,
            gpc=deps.sends_gpc(request),
            language=deps.chosen_language(request, statement),
        )
    except InvalidSubmission as refused:
        return _form_page(
            request,
            statement,
            declared,
            values=values,
            errors=refused.errors,
            status_code=status_of(refused),
        )
    return _form_page(request, statement, declared, done=done, status_code=201)
