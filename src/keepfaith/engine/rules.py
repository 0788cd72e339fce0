"""The rules: a pure function from (compiled statement, question, subject state) to a Decision.

A question (purpose, categories, recipient) is first planned against the compiled
statement: everything that does not depend on the person (is the purpose declared, may
it use these categories, may this recipient receive them) is settled once, and the few
answers that remain possible are built in advance. Deciding for one subject is then a
handful of look-ups in its ``SubjectState``, which is what makes a decision cost
microseconds.

The rules, in the order they are applied (the first that refuses decides):

1. the subject belongs to the statement's tenant and version;
2. the purpose is declared; the categories are declared and the purpose may use them;
3. a recipient, if any, is declared, receives these categories for this purpose, and
   only from its collection points; personal data is never sold, and third parties get
   nothing for a commercial purpose unless the statement allows commercial sharing;
4. commercial purposes never use categories or collection points that forbid it;
5. a known child: no use at all;
6. a deactivated or deleted subject: only a ``legal`` purpose while a hold is in force;
7. purpose limitation: data is used only for the purposes stated when it was collected,
   unless the person, told of the new use, consented to it (or, for an opt-out use,
   was notified and did not object);
8. the basis: ``required`` and ``legal`` while the relationship lasts; ``opt_in`` only
   after consent that counts and was not withdrawn; ``opt_out`` until the person
   objects, and a GPC signal objects to sale and advertising;
9. the recipient's own basis, in the same way (affiliates opt-in, partners opt-out).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from keepfaith.engine.compile import (
    Clauses,
    CompiledPurpose,
    CompiledRecipient,
    CompiledStatement,
    merge,
)
from keepfaith.engine.decision import Decision
from keepfaith.ledger.rows import recipient_choice
from keepfaith.ledger.snapshot import ACTIVE, GIVEN, WITHDRAWN, SubjectState
from keepfaith.statement.schema import Basis


def refuse(reason: str, *clauses: Iterable[str]) -> Decision:
    return Decision(False, reason, merge(*clauses))


class Plan:
    """One question planned against one compiled statement; ``decide`` per subject."""

    __slots__ = (
        "_child",
        "_gpc",
        "_gpc_recipient",
        "_inactive",
        "_limits",
        "_no_consent",
        "_no_recipient_consent",
        "_objected",
        "_recipient_objected",
        "_wrong_tenant",
        "allowed",
        "categories",
        "compiled",
        "gpc_check",
        "hold_purpose",
        "must_come_from",
        "non_commercial_points",
        "opt_in",
        "opt_out",
        "pid",
        "point_checks",
        "purpose",
        "recipient",
        "recipient_check",
        "recipient_choice",
        "static",
        "tenant",
        "version",
    )

    def __init__(
        self,
        compiled: CompiledStatement,
        purpose: str,
        categories: tuple[str, ...],
        recipient: str | None = None,
    ) -> None:
        self.compiled = compiled
        self.tenant, self.version = compiled.tenant, compiled.version
        self.categories = categories
        self.pid = purpose
        self.opt_in = self.opt_out = self.gpc_check = False
        self.point_checks = self.recipient_check = False
        self._limits: dict[tuple[str, frozenset[str]], Decision] = {}
        self.static: Decision | None = None
        p = compiled.purposes.get(purpose)
        r = compiled.recipients.get(recipient) if recipient is not None else None
        self.purpose = p
        self.recipient = r
        self.recipient_choice = recipient_choice(recipient) if recipient is not None else ""
        self.non_commercial_points: frozenset[str] = frozenset()
        self.must_come_from: frozenset[str] = frozenset()
        self.hold_purpose = False
        self._wrong_tenant = refuse(
            f"the subject is not governed by {compiled.tenant} {compiled.version}",
            compiled.scope_clauses,
        )
        self.static = _static(compiled, purpose, categories, recipient, p, r)
        if p is None or self.static is not None:
            self.allowed = self.static or refuse("purpose not declared")
            return
        self._prepare(compiled, p, r)

    def _prepare(
        self, c: CompiledStatement, p: CompiledPurpose, r: CompiledRecipient | None
    ) -> None:
        rc: Clauses = r.clauses if r is not None else ()
        self.allowed = Decision(True, _allowed_reason(p, r), merge(p.clauses, rc))
        if p.commercial:
            self.non_commercial_points = c.non_commercial_points
        if r is not None and r.collection_points:
            self.must_come_from = r.collection_points
        self.hold_purpose = p.basis is Basis.LEGAL
        # Flat flags, so that ``decide`` reads attributes rather than walks the statement.
        self.opt_in, self.opt_out = p.basis is Basis.OPT_IN, p.basis is Basis.OPT_OUT
        self.gpc_check = p.gpc_objects and not self.opt_in
        self.point_checks = bool(self.non_commercial_points or self.must_come_from)
        self.recipient_check = r is not None and r.basis in (Basis.OPT_IN, Basis.OPT_OUT)
        self._child = refuse("the subject is a known child: no use at all", c.children_clauses)
        self._inactive = refuse(
            "the subject is deactivated or deleted: only what a hold requires",
            c.rights_clauses,
        )
        self._no_consent = refuse(f"no consent for {p.id}", p.clauses)
        self._objected = refuse(f"the person objected to {p.id}", p.clauses)
        self._gpc = refuse(f"a Global Privacy Control signal objects to {p.id}", p.clauses)
        if r is not None:
            self._no_recipient_consent = refuse(
                f"no consent to share with {r.id}", r.clauses, p.clauses
            )
            self._recipient_objected = refuse(
                f"the person objected to sharing with {r.id}", r.clauses
            )
            self._gpc_recipient = refuse(
                f"a Global Privacy Control signal objects to sharing with {r.id}", r.clauses
            )

    def decide(self, state: SubjectState, at: dt.datetime | None = None) -> Decision:
        """The decision for one subject (pure: reads only ``state`` and the plan).

        Written for speed: flat attributes, the common path first, no allocation.
        """
        if state.version != self.version or state.tenant != self.tenant:
            return self._wrong_tenant
        if self.static is not None:
            return self.static
        if state.known_child:
            return self._child
        if state.status != ACTIVE:
            return self._held(state, at)
        if self.point_checks:
            refused = self._points(state)
            if refused is not None:
                return refused
        pid = self.pid
        consent = state.consent.get(pid) if at is None else state.consent_at(pid, at)
        collected = state.collected
        for category in self.categories:
            stated = collected.get(category)
            if (
                stated is not None
                and pid not in stated
                and consent != GIVEN
                and not (self.opt_out and consent != WITHDRAWN and self._told(state, at))
            ):
                return self._limited(state, category)
        if self.opt_in:
            if consent != GIVEN:
                return self._no_consent
        elif consent == WITHDRAWN and self.opt_out:
            return self._objected
        elif self.gpc_check and state.gpc:
            return self._gpc
        if self.recipient_check:
            return self._recipient_basis(state, at)
        return self.allowed

    def _points(self, state: SubjectState) -> Decision | None:
        """Where the data came from: no commercial use of restricted points, and a
        recipient bound to collection points gets only their data."""
        points = state.points
        if self.non_commercial_points:
            for category in self.categories:
                came = points.get(category)
                if came is not None and not came.isdisjoint(self.non_commercial_points):
                    return self._from_non_commercial(came)
        if self.must_come_from:
            for category in self.categories:
                came = points.get(category)
                if came is None or came.isdisjoint(self.must_come_from):
                    return self._not_from_points(category)
        return None

    def _recipient_basis(self, state: SubjectState, at: dt.datetime | None) -> Decision:
        r = self.recipient
        assert r is not None
        consent = state.consent_at(self.recipient_choice, at)
        if r.basis is Basis.OPT_IN:
            if consent != GIVEN:
                return self._no_recipient_consent
        elif r.basis is Basis.OPT_OUT and consent == WITHDRAWN:
            return self._recipient_objected
        elif r.basis is Basis.OPT_OUT and r.gpc_objects and state.gpc:
            return self._gpc_recipient
        return self.allowed

    def _held(self, state: SubjectState, at: dt.datetime | None) -> Decision:
        reason = state.active_hold(at) if self.hold_purpose else None
        if reason is None:
            return self._inactive
        assert self.purpose is not None
        clauses = merge(self.compiled.holds.get(reason, ()), self.purpose.clauses)
        return Decision(True, f"a {reason} hold requires it", clauses)

    def _told(self, state: SubjectState, at: dt.datetime | None) -> bool:
        """Whether the person was told of this new use (and so could object, ES-03)."""
        told = state.notified.get(self.pid)
        return told is not None and (at is None or told <= at)

    def _limited(self, state: SubjectState, category: str) -> Decision:
        came_from = state.points.get(category, frozenset())
        key = (category, came_from)
        found = self._limits.get(key)
        if found is None:
            found = self._limits[key] = self._limitation(category, came_from)
        return found

    def _limitation(self, category: str, came_from: frozenset[str]) -> Decision:
        """Data used beyond the purposes stated when it was collected (ES-10, ES-03)."""
        c = self.compiled
        came = sorted(came_from)
        point_clauses = [c.points[x].clauses for x in came if x in c.points]
        changes = c.changes_clauses if c.choice_on_new_use else ()
        p = self.purpose
        assert p is not None
        if p.basis is Basis.OPT_IN:  # nor consented to: the purpose's promise decides too
            return refuse(
                f"{category} was not collected for {p.id}, and no consent for it",
                *point_clauses,
                changes,
                p.clauses,
            )
        return refuse(f"{category} was not collected for {p.id}", *point_clauses, changes)

    def _from_non_commercial(self, came: frozenset[str]) -> Decision:
        c = self.compiled
        bad = sorted(came & self.non_commercial_points)
        assert self.purpose is not None
        return refuse(
            f"data from {', '.join(bad)} is never used for a commercial purpose",
            *(c.points[x].clauses for x in bad),
        )

    def _not_from_points(self, category: str) -> Decision:
        r = self.recipient
        assert r is not None
        return refuse(
            f"{r.id} receives {category} only from {', '.join(sorted(r.collection_points))}",
            r.clauses,
        )


def _allowed_reason(p: CompiledPurpose, r: CompiledRecipient | None) -> str:
    to = f" to {r.id}" if r is not None else ""
    return f"{p.id} ({p.basis.value}){to}"


def _static(
    c: CompiledStatement,
    purpose: str,
    categories: tuple[str, ...],
    recipient: str | None,
    p: CompiledPurpose | None,
    r: CompiledRecipient | None,
) -> Decision | None:
    """The refusal that holds whoever the subject is, if any."""
    if p is None:
        return refuse(f"purpose {purpose} is not declared", c.statement_clauses)
    for category in categories:
        known = c.categories.get(category)
        if known is None:
            return refuse(f"category {category} is not declared", c.statement_clauses)
        if category not in p.categories:
            return refuse(f"{p.id} does not use {category}", p.clauses, known.clauses)
    if p.sale and not c.sells_personal_data:
        return refuse("personal data is never sold", c.sharing_clauses, p.clauses)
    if p.commercial:
        for category in categories:
            known = c.categories[category]
            if not known.commercial_use:
                return refuse(
                    f"{category} is never used for a commercial purpose",
                    known.clauses,
                    p.clauses,
                )
    if recipient is None:
        return None
    return _static_recipient(c, recipient, categories, p, r)


def _static_recipient(
    c: CompiledStatement,
    recipient: str,
    categories: tuple[str, ...],
    p: CompiledPurpose,
    r: CompiledRecipient | None,
) -> Decision | None:
    if r is None:
        return refuse(f"recipient {recipient} is not declared", c.sharing_clauses)
    if r.basis is Basis.LEGAL:
        return refuse(f"{r.id} receives data only on a legal basis", r.clauses)
    if r.purposes and p.id not in r.purposes:
        return refuse(f"{r.id} does not receive data for {p.id}", r.clauses)
    extra = [x for x in categories if x not in r.categories]
    if extra:
        return refuse(f"{r.id} does not receive {', '.join(extra)}", r.clauses)
    if r.third_party and p.commercial and not c.commercial_sharing:
        return refuse(
            f"no sharing with a third party ({r.id}) for a commercial purpose",
            c.sharing_clauses,
        )
    return None


def evaluate(
    compiled: CompiledStatement,
    state: SubjectState,
    purpose: str,
    categories: tuple[str, ...],
    recipient: str | None = None,
    at: dt.datetime | None = None,
) -> Decision:
    """Decide one question for one subject (plans the question first; see ``Plan``)."""
    return Plan(compiled, purpose, categories, recipient).decide(state, at)
