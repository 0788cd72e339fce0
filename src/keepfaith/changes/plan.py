"""How a new version of a statement must be announced, by the old version's own rule.

The promise about changes that binds a company is the one people were given: the
*old* statement's ``changes`` section. A statement may say changes apply without
notice (SC-10), that they are posted on the page and continued use is acceptance
(DG-01, DG-15, EZ-20), or that a materially different use is emailed with a choice and
takes effect 15 days after the email or 30 after posting (PA-32). ``plan`` turns that
rule and the material changes into the steps publication must take.
"""

from __future__ import annotations

from dataclasses import dataclass

from keepfaith.statement.diff import Change, diff
from keepfaith.statement.schema import ChangeNotice, Statement


@dataclass(frozen=True)
class Step:
    """One thing publication does, and the clauses of the rule that require it."""

    action: str
    """``publish``, ``post_notice`` or ``email_affected``."""
    description: str


@dataclass(frozen=True)
class ChangePlan:
    """What publishing ``new`` over ``old`` involves."""

    changes: tuple[Change, ...]
    material: tuple[Change, ...]
    notify: ChangeNotice
    steps: tuple[Step, ...]
    effective: str
    """When the new version starts to apply to a person, in words."""
    continued_use_is_acceptance: bool
    clauses: tuple[str, ...]
    """Clause ids of the changes rule that decided the plan."""

    def to_dict(self) -> dict[str, object]:
        return {
            "notify": self.notify.value,
            "steps": [{"action": s.action, "description": s.description} for s in self.steps],
            "effective": self.effective,
            "continued_use_is_acceptance": self.continued_use_is_acceptance,
            "material_changes": len(self.material),
            "clauses": list(self.clauses),
        }


def plan(old: Statement, new: Statement) -> ChangePlan:
    """The steps and timing of publishing ``new``, under ``old``'s rule for changes."""
    changes = tuple(diff(old, new))
    material = tuple(c for c in changes if c.material)
    rule = old.changes
    steps = [Step("publish", f"publish version {new.version} as the statement in force")]
    if material and rule.notify is ChangeNotice.POST:
        steps.append(Step("post_notice", "post a notice of the material change on the page"))
    if material and rule.notify is ChangeNotice.EMAIL:
        kinds = sorted({kind for change in material for kind in change.subject_kinds})
        choice = " with a choice about the new use" if rule.choice_on_new_use else ""
        steps.append(
            Step("email_affected", f"email the people affected ({', '.join(kinds)}){choice}")
        )
        steps.append(Step("post_notice", "post the notice for people we have no address for"))
    return ChangePlan(
        changes=changes,
        material=material,
        notify=rule.notify,
        steps=tuple(steps),
        effective=_effective(old, bool(material)),
        continued_use_is_acceptance=rule.continued_use_is_acceptance,
        clauses=rule.clauses,
    )


def _effective(old: Statement, material: bool) -> str:
    rule = old.changes
    if not material or rule.notify is ChangeNotice.NONE:
        return "when published, without prior notice"
    if rule.notify is ChangeNotice.POST:
        if rule.post_effective_days:
            return f"{rule.post_effective_days} days after the notice is posted"
        return "when the notice is posted"
    moments = []
    if rule.acknowledgement_takes_effect:
        moments.append("when the person acknowledges it")
    if rule.email_effective_days is not None:
        moments.append(f"{rule.email_effective_days} days after the email")
    if rule.post_effective_days is not None:
        moments.append(f"{rule.post_effective_days} days after posting")
    if not moments:
        return "when the person is told"
    if len(moments) == 1:
        return moments[0]
    return "at the earliest of: " + ", ".join(moments)
