"""The ledger's names for states, kinds and roles, as the staff pages show them.

A request's state (``unverified``), its kind (``portability``), a person's or a job's
status and a staff member's role are identifiers in the ledger, the API and the CSV
exports; the pages show them in the page's language, ``{{ _(case.state.value) }}``.
Each is marked here so that extraction finds it; ``tests/web/test_languages.py`` keeps
this list complete against the enums it names.
"""

from __future__ import annotations

from keepfaith.translatable import N_

CASE_STATES = (
    # keepfaith.ledger.cases.State
    N_("unverified"),
    N_("open"),
    N_("done"),
    N_("denied"),
    N_("expired"),
    N_("acknowledged"),
    N_("resolved"),
    N_("escalated"),
)
CASE_KINDS = (
    # keepfaith.ledger.cases.Kind
    N_("access"),
    N_("portability"),
    N_("know"),
    N_("correct"),
    N_("delete"),
    N_("discontinue"),
    N_("complaint"),
)
SUBJECT_STATUSES = (
    # keepfaith.ledger.rows.Status
    N_("active"),
    N_("deactivated"),
    N_("deleted"),
)
STAFF_ROLES = (
    # keepfaith.ledger.staff.Role, spaced as the staff page shows it
    N_("owner"),
    N_("privacy officer"),
    N_("support agent"),
    N_("auditor"),
)
JOB_STATUSES = (
    # keepfaith.jobs.listing.STATUSES
    N_("todo"),
    N_("doing"),
    N_("succeeded"),
    N_("dead"),
    N_("cancelled"),
)
