"""Errors by type, mapped once: each keepfaith error has one status, from one table, and
no route maps an error by hand."""

from __future__ import annotations

import ast
import threading
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

import keepfaith.web.routes
from keepfaith.exceptions import (
    AccessDenied,
    Conflict,
    ExpiredToken,
    Forbidden,
    IntegrityError,
    InvalidSubmission,
    InvalidToken,
    KeepfaithError,
    Location,
    NotAllowed,
    NotFound,
    NotSignedIn,
    Refused,
    StatementError,
)
from keepfaith.ledger import subjects
from keepfaith.web.errors import STATUS, status_of
from tests.web.conftest import SyncASGITransport

ROUTES = Path(keepfaith.web.routes.__file__).parent


CASES: list[tuple[KeepfaithError, int]] = [
    (NotFound("x"), 404),
    (InvalidSubmission({"email": "must contain '@'"}), 422),
    (StatementError(Location("s.yaml", 3, 1), "bad"), 422),
    (NotSignedIn("sign in first"), 401),
    (InvalidToken("the link is not valid"), 401),
    (ExpiredToken("the link has expired"), 401),
    (Forbidden("your role does not allow this"), 403),
    (AccessDenied("no"), 403),
    (Conflict("try again"), 409),
    (NotAllowed("no consent", ("PA-1",)), 409),
    (Refused("no"), 409),
    (IntegrityError("altered"), 500),
    (KeepfaithError("anything else"), 500),
]


def _client(app: FastAPI, portal: object) -> httpx.Client:
    return httpx.Client(
        transport=SyncASGITransport(app, portal, "127.0.0.1"), base_url="https://testserver"
    )


def test_each_error_type_has_one_status(app: FastAPI, portal: object) -> None:
    def fail(case: int) -> None:
        raise CASES[case][0]

    app.add_api_route("/api/test-error/{case}", fail)
    app.add_api_route("/test-error/{case}", fail)  # a page: browsers get the error page
    with _client(app, portal) as client:
        for case, (error, status) in enumerate(CASES):
            assert status_of(error) == status
            answer = client.get(f"/api/test-error/{case}")
            assert answer.status_code == status, error
            assert answer.json()["detail"] == str(error)
            assert ("www-authenticate" in answer.headers) == (status == 401)
            assert ("errors" in answer.json()) == isinstance(error, InvalidSubmission)
            page = client.get(f"/test-error/{case}", headers={"accept": "text/html"})
            assert page.status_code == status
            assert page.headers["content-type"].startswith("text/html")


def test_a_race_on_a_unique_key_answers_409_not_500(app: FastAPI, portal: object) -> None:
    """Two writers racing to add one reference: the loser's database error is a 409."""
    barrier = threading.Barrier(2)

    def add() -> None:
        with app.state.ledger.transaction() as tx:
            barrier.wait(timeout=10)
            subjects.add(tx, "parature", "customer", reference="crm-7")

    app.add_api_route("/api/test-race", add, methods=["POST"])
    results: list[int] = []

    def call() -> None:
        with _client(app, portal) as client:
            results.append(client.post("/api/test-race").status_code)

    callers = [threading.Thread(target=call) for _ in range(2)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()
    assert sorted(results) == [200, 409]


def test_the_table_is_ordered_from_the_most_specific_type() -> None:
    kinds = [kind for kind, _ in STATUS]
    for earlier, kind in enumerate(kinds):
        for later in kinds[earlier + 1 :]:
            assert not issubclass(later, kind), f"{later.__name__} is shadowed by {kind.__name__}"


def test_no_route_maps_an_error_by_hand() -> None:
    """Routes raise or re-raise keepfaith errors; statuses come from ``status_of``."""
    for path in sorted(ROUTES.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Name | ast.Attribute):
                name = node.id if isinstance(node, ast.Name) else node.attr
                assert name != "HTTPException", f"{path.name}:{node.lineno} raises HTTP by hand"
            if isinstance(node, ast.keyword) and node.arg == "status_code":
                value = node.value
                literal = isinstance(value, ast.Constant) and isinstance(value.value, int)
                assert not (literal and value.value >= 400), (  # type: ignore[union-attr]
                    f"{path.name}:{node.lineno} answers {value.value} by hand"  # type: ignore[union-attr]
                )


def test_a_client_that_leaves_before_its_body_arrives_is_let_go_quietly(
    app: FastAPI, portal: Any
) -> None:
    """A client gone mid-request (wrk stopping, a closed tab) is not a server error: no
    500, no traceback, nothing recorded."""
    path = "/api/t/parature/cookies/consent"
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "https",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            (b"content-length", b"64"),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 443),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def call() -> None:
        await app(scope, receive, send)

    portal.call(call)
    assert sent[0]["type"] == "http.response.start"
    assert sent[0]["status"] == 400
