"""The gate every route passes first: credentials, then the text of the request.

Every route of keepfaith's routers is a ``GuardedRoute`` (``router(...)`` makes one).
Before FastAPI reads a body or resolves a single dependency, the route:

1. authenticates the caller where it needs credentials (a staff member or API token, or
   a person's signed link or session), so an anonymous or wrongly signed caller learns
   nothing from an unknown tenant, a malformed body or a wrong id: 401 or 403 first;
2. reads the body as FastAPI will (JSON or form; the request keeps it) and refuses, by
   field, what no ledger stores alike: a NUL character (PostgreSQL refuses it) or a lone
   surrogate (neither SQLite, UTF-8 nor the card encryption can encode one), and JSON
   that does not decode (the field is ``body``, never a character offset).

It also writes into the OpenAPI the statuses this gate and ``keepfaith.web.errors``
really send, so the description a client reads is the service it gets.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.responses import Response

from keepfaith.exceptions import InvalidSubmission

Guard = Callable[[Request], Awaitable[None]]
D = TypeVar("D")
GUARD = "keepfaith_guard"
"""Attribute naming, on a dependency, the guard that checks its credentials up front."""

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _refusal(description: str, schema: str) -> dict[str, Any]:
    """A refusal as sent: JSON for machines, the error page for a browser."""
    return {
        "description": description,
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}},
            "text/html": {"schema": {"type": "string"}},
        },
    }


INVALID = _refusal("Refused by field: the reason by field, never the value", "HTTPValidationError")
"""The 422 answer; ``keepfaith.web.app`` describes ``HTTPValidationError`` as sent."""


def guarded_by(guard: Guard) -> Callable[[D], D]:
    """Mark a dependency: routes that use it run ``guard(request)`` before anything else."""

    def mark(dependency: D) -> D:
        setattr(dependency, GUARD, guard)
        return dependency

    return mark


class GuardedRoute(APIRoute):
    """An ``APIRoute`` that authenticates, then checks the request's text, then runs."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **options: Any) -> None:
        super().__init__(path, endpoint, **options)
        self.guard = _guard_of(self.dependant)
        self.query_names = {p.alias for p in _dependants_params(self.dependant, "query_params")}
        self.responses = {**self._statuses(), **self.responses}

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            if self.guard is not None:
                await self.guard(request)
            await check_text(request, self.query_names, reads_json=self.body_field is not None)
            return await handle(request)

        return guarded

    def _statuses(self) -> dict[int | str, dict[str, Any]]:
        """The refusals this route can answer with, for the OpenAPI."""
        found: dict[int | str, dict[str, Any]] = {}
        unsafe = bool((self.methods or set()) & UNSAFE)
        if self.guard is not None:
            found[401] = _refusal("No credentials, or wrong ones", "Problem")
        if self.guard is not None or _uses(self.dependant, "verify_csrf"):
            found[403] = _refusal("Not allowed: role, tenant or CSRF token", "Problem")
        if self.param_convertors:
            found[404] = _refusal("No such tenant or item", "Problem")
        if self.param_convertors or self.query_names or self.body_field or unsafe:
            found[422] = INVALID
        if unsafe:
            found[409] = _refusal("Refused by the statement or the ledger", "Problem")
            found[413] = _refusal("The body is too large", "Problem")
        if unsafe and not STAFF_ONLY.match(self.path):  # rate-limited per address
            found[429] = _refusal("Too many requests: wait Retry-After seconds", "Problem")
        return found


UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

STAFF_ONLY = re.compile(r"^/(admin(/|$)|api/t/[^/]+/decisions$)")
"""Paths that need staff credentials anyway, so the public-write rate limit skips them."""


def router(**options: Any) -> APIRouter:
    """An ``APIRouter`` whose routes are all guarded."""
    return APIRouter(route_class=GuardedRoute, **options)


# ---------------------------------------------------------------------------- text


async def check_text(request: Request, query_names: set[str], *, reads_json: bool) -> None:
    """Refuse (``InvalidSubmission``, by field) text no ledger can store, in the path, the
    route's query parameters, a form or a JSON body; and JSON that does not decode."""
    errors: dict[str, str] = {}
    for name, value in request.path_params.items():
        _check(name, value, errors)
    for name, value in request.query_params.multi_items():
        if name in query_names:
            _check(name, value, errors)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind in FORM_TYPES:
        form = await request.form()
        for name, value in form.multi_items():
            _check(name, value if isinstance(value, str) else "", errors)
    elif reads_json and _is_json(kind) and await request.body():
        _check("body", await _json(request), errors)
    if errors:
        raise InvalidSubmission(errors)


def _is_json(kind: str) -> bool:
    return kind == "application/json" or kind.endswith("+json")


async def _json(request: Request) -> Any:
    try:
        return await request.json()  # kept on the request: FastAPI reads it from there
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InvalidSubmission({"body": "is not valid JSON (UTF-8)"}) from None


def _check(field: str, value: Any, errors: dict[str, str]) -> None:
    """Add a reason for each bad text in ``value`` (nested JSON too), by its field."""
    if not clean(field):
        errors.setdefault("request", "a field name holds a NUL or an unpaired surrogate")
        return
    for where, text, is_key in _texts(field, value):
        if "\x00" in text:
            errors.setdefault(where, f"{'a key ' if is_key else ''}contains a NUL character")
        elif not clean(text):
            errors.setdefault(where, f"{'a key ' if is_key else ''}is not valid Unicode")


def clean(text: str) -> bool:
    """Whether ``text`` can be stored as is: no NUL and no lone surrogate."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _texts(where: str, value: Any) -> Iterator[tuple[str, str, bool]]:
    """Every string in a JSON value, with the field path that names it."""
    if isinstance(value, str):
        yield where, value, False
    elif isinstance(value, dict):
        for key, item in value.items():
            if not clean(key):
                yield where, key, True
                continue
            yield from _texts(key if where == "body" else f"{where}.{key}", item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _texts(f"{where}.{index}", item)


# ---------------------------------------------------------------------------- dependants


def _walk(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _walk(sub)


def _guard_of(dependant: Dependant) -> Guard | None:
    for sub in _walk(dependant):
        guard = getattr(sub.call, GUARD, None)
        if guard is not None:
            return guard  # type: ignore[no-any-return]
    return None


def _uses(dependant: Dependant, name: str) -> bool:
    return any(getattr(sub.call, "__name__", "") == name for sub in _walk(dependant))


def _dependants_params(dependant: Dependant, kind: str) -> Iterator[Any]:
    for sub in _walk(dependant):
        yield from getattr(sub, kind)
