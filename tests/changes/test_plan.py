"""Publishing a new version follows the old version's own rule for announcing changes."""

from __future__ import annotations

import pytest

from keepfaith.changes.plan import plan
from keepfaith.statement import loads
from tests.conftest import FIXTURES

MINIMAL = (FIXTURES / "minimal.yaml").read_text(encoding="utf-8")
RULE = """changes:
  notify: email
  email_effective_days: 15
  post_effective_days: 30
  acknowledgement_takes_effect: true
"""
NEW_USE = """purposes:
  - id: partner_offers
    name: Offers from our partners
    basis: opt_out
    categories: [user.contact.email]
    marketing: true
    unsubscribe: [one_click]
"""


def with_rule(rule: str, *, new_use: bool = False) -> str:
    assert RULE in MINIMAL
    text = MINIMAL.replace(RULE, rule)
    return text.replace("\npurposes:\n", "\n" + NEW_USE, 1) if new_use else text


@pytest.mark.parametrize(
    ("rule", "actions", "effective"),
    [
        (
            RULE,
            ["publish", "email_affected", "post_notice"],
            "at the earliest of: when the person acknowledges it, 15 days after the email, "
            "30 days after posting",
        ),
        ("changes:\n  notify: post\n", ["publish", "post_notice"], "when the notice is posted"),
        (
            "changes:\n  notify: post\n  post_effective_days: 30\n",
            ["publish", "post_notice"],
            "30 days after the notice is posted",
        ),
        ("changes:\n  notify: none\n", ["publish"], "when published, without prior notice"),
    ],
)
def test_a_material_change_is_announced_as_the_old_version_promised(
    rule: str, actions: list[str], effective: str
) -> None:
    result = plan(loads(with_rule(rule)), loads(with_rule(rule, new_use=True)))
    assert len(result.material) == 1
    assert [step.action for step in result.steps] == actions
    assert result.effective == effective


def test_the_old_rule_binds_even_when_the_new_version_weakens_it() -> None:
    old = loads(with_rule(RULE))
    new = loads(with_rule("changes:\n  notify: none\n", new_use=True))
    assert [step.action for step in plan(old, new).steps][1] == "email_affected"


def test_the_email_names_the_people_affected_and_offers_the_choice() -> None:
    rule = RULE + "  choice_on_new_use: true\n"
    result = plan(loads(with_rule(rule)), loads(with_rule(rule, new_use=True)))
    email = next(step for step in result.steps if step.action == "email_affected")
    assert "customer" in email.description and "with a choice" in email.description


def test_wording_changes_need_no_notice() -> None:
    old = loads(with_rule(RULE))
    new = loads(with_rule(RULE).replace("Acme privacy statement", "Acme's privacy statement"))
    result = plan(old, new)
    assert result.material == () and [s.action for s in result.steps] == ["publish"]
    assert result.effective == "when published, without prior notice"
