"""Errors into HTTP answers: the one table from keepfaith's error types to statuses.

Capabilities raise keepfaith errors (``keepfaith.exceptions``); this module turns each
into one status, a JSON body (``{"detail": ..., "errors": {field: reason}}``) or, for a
browser, the error page. A route that shows a form again after a refusal asks
``status_of`` for the status, so no route maps an error by hand. Nothing here ever
repeats a value a person sent.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from keepfaith.exceptions import (
    AccessDenied,
    ConfigurationError,
    Conflict,
    IntegrityError,
    InvalidSubmission,
    KeepfaithError,
    NotFound,
    NotSignedIn,
    Refused,
    StatementError,
)
from keepfaith.web.options import allowed

STATUS: list[tuple[type[KeepfaithError], int]] = [
    (NotFound, 404),
    (InvalidSubmission, 422),
    (StatementError, 422),
    (NotSignedIn, 401),
    (AccessDenied, 403),
    (Conflict, 409),
    (Refused, 409),
    (ConfigurationError, 500),
    (IntegrityError, 500),
    (KeepfaithError, 500),
]
"""How keepfaith's errors become HTTP statuses: the first type that matches wins, so a
``NotSignedIn`` is 401 and every other ``AccessDenied`` (``Forbidden``) 403."""


def status_of(error: KeepfaithError) -> int:
    """The HTTP status of a keepfaith error, from ``STATUS``."""
    return next(code for kind, code in STATUS if isinstance(error, kind))


def headers_of(error: KeepfaithError) -> dict[str, str]:
    """Headers the answer to ``error`` carries: a 401 says how to sign in."""
    return {"WWW-Authenticate": "Bearer"} if isinstance(error, NotSignedIn) else {}


def error_response(
    request: Request, error: KeepfaithError, headers: Mapping[str, str] | None = None
) -> Response:
    """The answer to ``error``: the error page for a browser, JSON for everyone else."""
    status = status_of(error)
    extra = {**headers_of(error), **(headers or {})}
    if wants_html(request):
        page = error_page(request, status, str(error))
        page.headers.update(extra)
        return page
    body: dict[str, object] = {"detail": str(error)}
    if isinstance(error, InvalidSubmission):
        body["errors"] = error.errors
    return JSONResponse(body, status_code=status, headers=extra)


def install(app: FastAPI) -> None:
    """Answer keepfaith errors, HTTP errors and invalid requests the same way everywhere."""

    async def keepfaith_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, KeepfaithError)
        return error_response(request, error)

    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        if error.status_code == 405:  # every route at the path, not only the first
            methods = {"Allow": ", ".join(allowed(request))}
            if request.method == "OPTIONS":
                return Response(status_code=204, headers=methods)
            error.headers = {**(error.headers or {}), **methods}
        if wants_html(request) and error.status_code >= 400:
            page = error_page(request, error.status_code, str(error.detail))
            page.headers.update(error.headers or {})
            return page
        return await http_exception_handler(request, error)

    async def invalid_request(request: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)
        return invalid_response(request, error)

    async def client_gone(request: Request, error: Exception) -> Response:
        # The client left before its request body arrived (a load tester stopping, a
        # closed tab): nobody reads the answer, and it is not the server's error.
        return Response(status_code=400)

    app.add_exception_handler(KeepfaithError, keepfaith_error)
    app.add_exception_handler(ClientDisconnect, client_gone)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_request)


def invalid_response(request: Request, error: RequestValidationError) -> Response:
    """The 422 answer to a request FastAPI could not read into its parameters."""
    errors = validation_errors(error)
    detail = "the request is not valid: " + "; ".join(f"{k}: {v}" for k, v in errors.items())
    if wants_html(request):
        return error_page(request, 422, detail)
    return JSONResponse({"detail": detail, "errors": errors}, status_code=422)


def validation_errors(error: RequestValidationError) -> dict[str, str]:
    """Field and reason for each problem, and never the submitted value.

    FastAPI's own answer echoes each offending ``input``: a password that is too long, an
    email where an id belongs. What people typed stays out of answers and logs.
    """
    found: dict[str, str] = {}
    for problem in error.errors():
        location = [str(part) for part in problem.get("loc", ())]
        field = ".".join(location[1:]) or ".".join(location) or "request"
        found.setdefault(field, str(problem.get("msg", "is not valid")))
    return found


def wants_html(request: Request) -> bool:
    """Whether the caller is a browser asking for a page (not an API client)."""
    accept = request.headers.get("accept", "")
    return "text/html" in accept and not request.url.path.startswith(("/api/", "/admin/api/"))


def error_page(request: Request, status: int, detail: str) -> Response:
    from keepfaith.web.deps import render

    return render(request, "error.html", {"status": status, "detail": detail}, status)
