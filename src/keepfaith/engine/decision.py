"""The engine's answer: allowed or not, why, and which clauses of the statement decided."""

from __future__ import annotations

from dataclasses import dataclass

from keepfaith.exceptions import NotAllowed


@dataclass(frozen=True, slots=True)
class Decision:
    """An answer to "may we?".

    ``clauses`` are the ids carried by the statement element that decided (a purpose, a
    recipient, a category, a collection point, a legal disclosure...), so every answer
    traces back to a promise in the statement.
    """

    allowed: bool
    reason: str
    clauses: tuple[str, ...] = ()
    obligations: tuple[str, ...] = ()
    """What the statement promises to do along with an allowed act, in words (tell the
    person of a disclosure, pass a deletion on to a recipient)."""

    def require(self) -> Decision:
        """Return the decision if allowed; raise ``NotAllowed`` (with it) otherwise."""
        if not self.allowed:
            raise NotAllowed(self.reason, self.clauses)
        return self
