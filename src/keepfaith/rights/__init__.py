"""Rights requests: a person's case, verified, on a clock, answered through the company's
databases.

- ``cases``: intake (privacy center, API, email, staff), verification by code, link,
  session or staff, merging of duplicates, approval, extension with its reason, denial.
- ``clock``: deadlines from the statement, in calendar or business days.
- ``work``: the jobs that do a case's work (access, erasure, correction) per system.
- ``queue``: what staff see: due, overdue, the trail.
"""

from keepfaith.ledger.cases import Case, Kind, State
from keepfaith.rights.cases import Opened, approve, deny, extend, open, verify, verify_link

__all__ = [
    "Case",
    "Kind",
    "Opened",
    "State",
    "approve",
    "deny",
    "extend",
    "open",
    "verify",
    "verify_link",
]
