"""Every error keepfaith raises on purpose.

Capabilities raise these; only ``keepfaith.web`` turns them into HTTP status codes and
only ``keepfaith.cli`` into exit codes. No message ever carries personal data: errors
name fields, clauses, files and lines, never the values a person gave.

Hierarchy::

    KeepfaithError
    ├── StatementError          a statement file is wrong (file:line:column and reason)
    ├── ConfigurationError      a setting or deployment choice is wrong
    ├── NotFound                a tenant, subject, request or record does not exist
    ├── Refused                 keepfaith will not do what was asked, and says why
    │   ├── InvalidSubmission   a collection point refused fields (field -> reason)
    │   ├── AccessDenied        the caller may not do this
    │   │   ├── NotSignedIn     no credential, or a wrong one
    │   │   │   └── InvalidToken  a signed token forged, altered or for another use
    │   │   │       └── ExpiredToken  a signed token past its lifetime
    │   │   └── Forbidden       signed in, but the role or tenant does not allow it
    │   ├── Conflict            a concurrent change got there first; try again
    │   └── NotAllowed          the engine refused a use of personal data (reason, clauses)
    └── IntegrityError          stored data is not what was written
        └── AuditChainBroken    the audit log, or a row it recorded, was tampered with
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


class KeepfaithError(Exception):
    """Base of every error keepfaith raises on purpose."""


@dataclass(frozen=True, order=True)
class Location:
    """Where in a statement file something is: 1-based line and column."""

    file: str
    line: int
    column: int

    def __init__(self, file: Path | str, line: int, column: int) -> None:
        object.__setattr__(self, "file", str(file))
        object.__setattr__(self, "line", line)
        object.__setattr__(self, "column", column)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class StatementError(KeepfaithError):
    """A statement cannot be loaded; ``location`` says where and ``reason`` what is wrong."""

    def __init__(self, location: Location, reason: str) -> None:
        super().__init__(f"{location}: {reason}")
        self.location = location
        self.reason = reason
        self.problems: list[tuple[Location, str]] = [(location, reason)]
        """Every problem found, first one first; the message names only the first."""


class ConfigurationError(KeepfaithError):
    """A setting, key or deployment option is missing or wrong."""


class NotFound(KeepfaithError):
    """The thing asked for does not exist (in this tenant)."""


class Refused(KeepfaithError):
    """keepfaith will not do what was asked; the message says why."""


class InvalidSubmission(Refused):
    """A submission was refused field by field; nothing was stored.

    ``errors`` maps a field name to the reason it was refused.
    """

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        detail = "; ".join(f"{field}: {reason}" for field, reason in self.errors.items())
        super().__init__(f"submission refused: {detail}")


class AccessDenied(Refused):
    """The caller may not do this: not signed in (``NotSignedIn``) or not allowed
    (``Forbidden``)."""


class NotSignedIn(AccessDenied):
    """No credential came with the request, or a wrong one: sign in first."""


class InvalidToken(NotSignedIn):
    """A signed token (a link, a cookie) was forged, altered, or made for another use."""


class ExpiredToken(InvalidToken):
    """A signed token is genuine but older than its lifetime."""


class Forbidden(AccessDenied):
    """The caller is signed in, but their role or tenant does not allow this."""


class Conflict(Refused):
    """A concurrent change got there first (the database refused a duplicate); nothing
    of this change was stored, and trying again may succeed."""


class NotAllowed(Refused):
    """The engine refused a use of personal data; ``clauses`` name the promises that decided."""

    def __init__(self, reason: str, clauses: tuple[str, ...] = ()) -> None:
        cited = f" ({', '.join(clauses)})" if clauses else ""
        super().__init__(f"not allowed: {reason}{cited}")
        self.reason = reason
        self.clauses = clauses


class IntegrityError(KeepfaithError):
    """Stored data is not what keepfaith wrote."""


class AuditChainBroken(IntegrityError):
    """The audit log fails verification; ``problems`` says where and what, each one."""

    def __init__(self, problems: Sequence[object]) -> None:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"audit broken: {problems[0]}{more}")
        self.problems = list(problems)
