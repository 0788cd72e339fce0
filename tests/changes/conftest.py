"""Fixtures of the changes tests: the messaging world (a real SMTP sink on loopback, a
ledger on the test clock) and new versions of the example statements."""

from __future__ import annotations

import keepfaith
from keepfaith.statement import Statement
from tests.conftest import EXAMPLES
from tests.messaging.conftest import mail, sink  # noqa: F401  (fixtures used here)
from tests.web.conftest import (  # noqa: F401  (fixtures used here)
    app,
    client,
    make_app,
    make_client,
    portal,
    staff_client,
)

NEW_USE = """purposes:
  - id: partner_offers
    name: Offers from our partners, by email
    basis: opt_out
    categories: [user.contact.email]
    marketing: true
    unsubscribe: [one_click]
"""


def new_version(name: str, version: str, *, new_use: bool = True, extra: str = "") -> str:
    """The example's text as a later ``version``, with a new use of email (material)."""
    text = (EXAMPLES / name / "statement.yaml").read_text(encoding="utf-8")
    old = keepfaith.load(EXAMPLES / name / "statement.yaml").version
    text = text.replace(f'version: "{old}"', f'version: "{version}"', 1)
    if new_use:
        text = text.replace("\npurposes:\n", "\n" + NEW_USE, 1)
    return text + extra


def loaded(text: str) -> Statement:
    return keepfaith.loads(text, source="<new version>")
