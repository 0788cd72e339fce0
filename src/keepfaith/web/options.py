"""``OPTIONS`` and ``405``: the methods a path really has, from every route that serves it.

Starlette answers for the first route whose path matches, so a path served by a GET
route and a POST route would say ``Allow: GET``. ``allowed`` looks at every route;
``keepfaith.web.errors`` uses it for each 405, and answers ``OPTIONS`` (which no route
but the cookie banner's preflight serves) with 204 and the same ``Allow``.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.routing import iter_route_contexts

READ = frozenset({"GET", "HEAD"})


def allowed(request: Request) -> list[str]:
    """Every method some route serves at this request's path, sorted, OPTIONS included."""
    path = request.scope["path"]
    methods: set[str] = set()
    for context in iter_route_contexts(request.app.routes):
        route = context.original_route
        pattern = getattr(route, "path_regex", None)
        if pattern is not None and pattern.match(path):
            methods |= getattr(route, "methods", None) or READ
    return sorted(methods | {"OPTIONS"}) if methods else []
