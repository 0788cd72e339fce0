"""schemathesis over keepfaith's own OpenAPI, anonymous and with a staff token.

Every operation gets a few generated requests (valid and invalid by the schema) and
every answer must pass schemathesis' checks: no 500, a documented status and content
type, a body that fits the documented schema, an operation that declares credentials
refusing a request without them. Kept small (``MAX_EXAMPLES`` per operation) so the run
adds well under two minutes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from keepfaith.ledger import staff
from keepfaith.ledger.staff import Role
from tests.ledger.support import write
from tests.web.conftest import EZTALKS, PARATURE, _build, _start

MAX_EXAMPLES = 5

NOT_CHECKED = [positive_data_acceptance]
"""schemathesis' one check left out: that a request valid by the schema is accepted.
keepfaith validates bodies against the statement (the fields a point declares, the
purposes and categories it names) and refuses NUL and lone surrogates, which JSON Schema
allows: a schema-valid request is refused with 422 by design, as the issue asks. Its
converse, that a schema-invalid request is refused (``negative_data_rejection``), runs."""


@pytest.fixture(scope="module")
def served(module_database_url: str, portal: Any) -> Iterator[FastAPI]:
    """Parature and EZTalks, without the rate limit (its 429 is tested elsewhere)."""
    with ExitStack() as stack:
        app = _build(module_database_url, (PARATURE, EZTALKS), rate_limit_per_minute=0)
        yield _start(app, portal, stack)


@pytest.fixture(scope="module")
def owner_token(served: FastAPI) -> str:
    return write(served.state.ledger, staff.create_token, "schemathesis", Role.OWNER)


def _run_every_operation(app: FastAPI, headers: dict[str, str]) -> list[str]:
    """Run schemathesis' checks on every operation; the failures, by operation."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            case.call_and_validate(headers=headers, excluded_checks=NOT_CHECKED)

        try:
            check()
        except Exception as error:
            failures.append(f"{operation.method.upper()} {operation.path}: {error}")
    return failures


def test_anonymous(served: FastAPI) -> None:
    failures = _run_every_operation(served, {})
    assert not failures, "\n\n".join(failures)


def test_with_a_staff_token(served: FastAPI, owner_token: str) -> None:
    failures = _run_every_operation(served, {"Authorization": f"Bearer {owner_token}"})
    assert not failures, "\n\n".join(failures)
