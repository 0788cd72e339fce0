"""The engine: the one place that decides whether a use of personal data is allowed.

``Engine(ledger, statements).may(subject, purpose, categories, recipient=None, at=None)``
returns a ``Decision(allowed, reason, clauses)`` whose clauses are those of the statement
element that decided. The rules are a pure function (``evaluate``, ``Plan.decide``) of a
``CompiledStatement`` and a ``SubjectState`` snapshot; ``audience`` selects in one
query the subjects they allow, deciding each distinct profile of facts once
(``keepfaith.ledger.allowances``).
"""

from keepfaith.engine.compile import CompiledStatement, compile_statement
from keepfaith.engine.decision import Decision
from keepfaith.engine.engine import Engine
from keepfaith.engine.rules import Plan, evaluate
from keepfaith.ledger.snapshot import SubjectState

__all__ = [
    "CompiledStatement",
    "Decision",
    "Engine",
    "Plan",
    "SubjectState",
    "compile_statement",
    "evaluate",
]
