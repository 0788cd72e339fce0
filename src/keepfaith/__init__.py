"""keepfaith: a privacy statement, declared once, rendered for people, enforced in code."""

from keepfaith.exceptions import (
    AccessDenied,
    AuditChainBroken,
    ConfigurationError,
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
from keepfaith.settings import Settings
from keepfaith.statement import Statement, load, loads

__version__ = "0.1.0"

__all__ = [
    "AccessDenied",
    "AuditChainBroken",
    "ConfigurationError",
    "Conflict",
    "ExpiredToken",
    "Forbidden",
    "IntegrityError",
    "InvalidSubmission",
    "InvalidToken",
    "KeepfaithError",
    "Location",
    "NotAllowed",
    "NotFound",
    "NotSignedIn",
    "Refused",
    "Settings",
    "Statement",
    "StatementError",
    "__version__",
    "load",
    "loads",
]
