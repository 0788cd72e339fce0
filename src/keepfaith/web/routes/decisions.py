"""The decision API: a company's systems ask "may we?" over HTTP, with an API token."""

from __future__ import annotations

from fastapi import Depends
from pydantic import BaseModel, ConfigDict, Field

from keepfaith.engine import Engine
from keepfaith.ledger.staff import Principal
from keepfaith.statement import Statement
from keepfaith.web import deps, guard
from keepfaith.web.ids import IdField

router = guard.router(tags=["decisions"])
anyone = deps.require_role()


class DecisionQuestion(BaseModel):
    """May we use these categories of this subject's data for this purpose (and share them)?"""

    model_config = ConfigDict(extra="forbid")  # a misspelt key is refused, as elsewhere

    subject: IdField = Field(description="The ledger's id of the person.")
    purpose: str = Field(description="A purpose id the statement declares.")
    categories: list[str] = Field(min_length=1, description="Data category keys.")
    recipient: str | None = Field(default=None, description="A recipient id, when sharing.")


class DecisionAnswer(BaseModel):
    """The engine's answer and the clauses of the statement that decided it."""

    allowed: bool
    reason: str
    clauses: list[str]


@router.post(
    "/api/t/{tenant}/decisions",
    response_model=DecisionAnswer,
    summary="Ask the engine whether a use of personal data is allowed",
)
def decide(
    question: DecisionQuestion,
    statement: Statement = Depends(deps.tenant),
    engine: Engine = Depends(deps.engine),
    staff: Principal = Depends(anyone),
) -> DecisionAnswer:
    """Any staff role or API token may ask; the answer names the deciding clauses.

    The subject is read within the tenant of the URL only (404 otherwise), so one
    tenant's token-holder can never learn about another tenant's people.
    """
    decision = engine.may(
        question.subject,
        question.purpose,
        question.categories,
        question.recipient,
        tenant=statement.id,
    )
    return DecisionAnswer(
        allowed=decision.allowed, reason=decision.reason, clauses=list(decision.clauses)
    )
