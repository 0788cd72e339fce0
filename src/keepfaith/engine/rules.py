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
7. restricted processing: only a ``legal`` or ``vital_interest`` purpose, or with consent;
8. signals: Global Privacy Control and Do Not Track, where and for what the statement
   honours them, from the time they were recorded;
9. a withdrawn consent or an objection (opt-out, legitimate interest, public task, the
   opt-out of sale and sharing) is refused as such, with its date;
10. data a non-essential cookie gathers only with the cookie's consent; selling or
    sharing the data of a minor only with an opt-in where a children's rule says so;
11. purpose limitation: data is used only for the purposes stated when it was collected,
    unless the person, told of the new use, consented to it (or, for an opt-out use,
    was notified and did not object);
12. the basis: ``opt_in`` only after consent that counts; the others until the person
    objects where they may;
13. the recipient's own basis, in the same way (affiliates opt-in, partners opt-out).

Where the statement declares jurisdictions, a question is planned once per jurisdiction
(bases, signals and rules differ by place) and each person is decided under the plan of
their own; a person whose jurisdiction is unknown gets the statement's defaults.
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
from keepfaith.statement.schema import CHOOSABLE, OBJECTABLE, Basis, SignalEffect, SignalKind


def refuse(reason: str, *clauses: Iterable[str]) -> Decision:
    return Decision(False, reason, merge(*clauses))


class Plan:
    """One question planned against one compiled statement; ``decide`` per subject."""

    __slots__ = (
        "_child",
        "_dnt",
        "_gpc",
        "_gpc_recipient",
        "_inactive",
        "_limits",
        "_minor",
        "_no_consent",
        "_no_cookie_consent",
        "_no_recipient_consent",
        "_restricted",
        "_wrong_tenant",
        "allowed",
        "basis",
        "categories",
        "choice_check",
        "compiled",
        "cookie_check",
        "dnt_check",
        "gpc_check",
        "gpc_honoured",
        "hold_purpose",
        "jurisdiction",
        "minor_check",
        "must_come_from",
        "non_commercial_points",
        "notice_use",
        "opt_in",
        "opt_out",
        "pid",
        "point_checks",
        "purpose",
        "recipient",
        "recipient_check",
        "recipient_choice",
        "recipient_via_purpose",
        "restrict_check",
        "static",
        "tenant",
        "variants",
        "version",
    )

    def __init__(
        self,
        compiled: CompiledStatement,
        purpose: str,
        categories: tuple[str, ...],
        recipient: str | None = None,
        jurisdiction: str | None = None,
    ) -> None:
        self.compiled = compiled
        self.jurisdiction = jurisdiction
        self.variants: dict[str, Plan] | None = None
        self.dnt_check = self.minor_check = self.restrict_check = self.gpc_honoured = False
        self.tenant, self.version = compiled.tenant, compiled.version
        self.categories = categories
        self.pid = purpose
        self.opt_in = self.opt_out = self.gpc_check = self.cookie_check = False
        self.choice_check = self.recipient_via_purpose = False
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
        # The notice of a change is promised by the statement's own ``changes`` section,
        # given wherever data was collected: stated at every collection point (ES-17).
        self.notice_use = compiled.statement.changes.notice_purpose == purpose
        self._wrong_tenant = refuse(
            f"the subject is not governed by {compiled.tenant} {compiled.version}",
            compiled.scope_clauses,
        )
        self.static = _static(compiled, purpose, categories, recipient, p, r)
        if p is None or self.static is not None:
            self.allowed = self.static or refuse("purpose not declared")
            self.basis = Basis.REQUIRED
            return
        self._prepare(compiled, p, r)
        if jurisdiction is None and compiled.jurisdictions:
            self.variants = {
                j: Plan(compiled, purpose, categories, recipient, j) for j in compiled.jurisdictions
            }

    def _prepare(
        self, c: CompiledStatement, p: CompiledPurpose, r: CompiledRecipient | None
    ) -> None:
        rc: Clauses = r.clauses if r is not None else ()
        reason = _allowed_reason(p, r, p.basis_in(self.jurisdiction), self.jurisdiction)
        self.allowed = Decision(True, reason, merge(p.clauses, rc))
        if p.commercial:
            self.non_commercial_points = c.non_commercial_points
        if r is not None and r.collection_points:
            self.must_come_from = r.collection_points
        basis = self.basis = p.basis_in(self.jurisdiction)
        self.hold_purpose = basis is Basis.LEGAL
        # Flat flags, so that ``decide`` reads attributes rather than walks the statement.
        self.opt_in, self.opt_out = basis is Basis.OPT_IN, basis is Basis.OPT_OUT
        self.cookie_check = not p.cookie_categories.isdisjoint(self.categories)
        sells = bool(p.effects & {SignalEffect.SALE, SignalEffect.SHARING})
        self.choice_check = basis in CHOOSABLE or self.cookie_check or sells
        lawful = basis in (Basis.LEGAL, Basis.VITAL_INTEREST)
        gpc = c.honoured(SignalKind.GPC, self.jurisdiction)
        self.gpc_check = bool(p.effects & gpc) and not lawful
        self.gpc_honoured = bool(gpc) and not lawful
        self.dnt_check = bool(p.effects & c.honoured(SignalKind.DNT, self.jurisdiction))
        self.dnt_check = self.dnt_check and not lawful
        self.restrict_check = not lawful
        self.minor_check = sells and basis is not Basis.OPT_IN and bool(c.minor_sale)
        self.point_checks = bool(self.non_commercial_points or self.must_come_from)
        self.recipient_check = r is not None and (
            r.basis in (Basis.OPT_IN, Basis.OPT_OUT) or (r.gpc_objects and bool(gpc) and not lawful)
        )
        self.recipient_via_purpose = r is not None and p.sharing and p.id in r.purposes
        self._child = refuse("the subject is a known child: no use at all", c.children_clauses)
        self._inactive = refuse(
            "the subject is deactivated or deleted: only what a hold requires",
            c.rights_clauses,
        )
        self._no_consent = refuse(f"no consent was given for {p.id}", p.clauses)
        cookies = ", ".join(p.cookies)
        self._no_cookie_consent = refuse(
            f"{p.id} works through the cookie {cookies}, which is set only with consent, "
            "and none was given",
            p.cookie_clauses,
            p.clauses,
        )
        signal = c.signal_clauses
        self._gpc = refuse(
            f"a Global Privacy Control signal objects to {p.id}", p.clauses, signal["gpc"]
        )
        self._dnt = refuse(f"a Do Not Track signal objects to {p.id}", p.clauses, signal["dnt"])
        self._restricted = refuse(
            f"processing is restricted at the person's request: {p.id} only with consent",
            c.restrict_clauses,
        )
        self._minor = refuse(
            f"the person is known to be a minor: {p.id} (selling or sharing) only with an opt-in",
            c.children_clauses,
            p.clauses,
        )
        if r is not None:
            self._no_recipient_consent = refuse(
                f"no consent was given to share with {r.id}", r.clauses, p.clauses
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
        if self.variants is not None and state.jurisdiction is not None:
            variant = self.variants.get(state.jurisdiction)
            if variant is not None:
                return variant.decide(state, at)
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
        if state.restricted and self.restrict_check and consent != GIVEN:
            return self._restricted
        if self.gpc_check and state.gpc and state.gpc_objects_at(at):
            return self._gpc_since(state, self._gpc)
        if self.dnt_check and state.dnt_at is not None and state.dnt_at_time(at):
            return self._dnt
        if consent == WITHDRAWN and self.choice_check:
            return self._withdrawn(state, pid, at)
        if self.cookie_check and consent != GIVEN:
            return self._no_cookie_consent
        if self.minor_check and consent != GIVEN and self._is_minor(state):
            return self._minor
        collected = state.collected
        for category in self.categories:
            stated = collected.get(category)
            if (
                stated is not None
                and pid not in stated
                and not self.notice_use
                and consent != GIVEN
                and not (self.opt_out and self._told(state, at))
            ):
                return self._limited(state, category)
        if self.opt_in and consent != GIVEN:
            return self._no_consent
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
        choice = self.recipient_choice
        if self.recipient_via_purpose and _later(state, self.pid, choice, at):
            # Consent to a sharing purpose counts for the recipients it names (PA-21);
            # whichever of the two choices the person made last decides.
            choice = self.pid
        if r.gpc_objects and self.gpc_honoured and state.gpc and state.gpc_objects_at(at):
            return self._gpc_since(state, self._gpc_recipient)
        consent = state.consent_at(choice, at)
        if consent == WITHDRAWN and r.basis in (Basis.OPT_IN, Basis.OPT_OUT):
            return self._withdrawn(state, choice, at)
        if r.basis is Basis.OPT_IN and consent != GIVEN:
            return self._no_recipient_consent
        return self.allowed

    def _is_minor(self, state: SubjectState) -> bool:
        return self.compiled.minor_needs_opt_in(state.age_under, state.jurisdiction)

    def _withdrawn(self, state: SubjectState, choice: str, at: dt.datetime | None) -> Decision:
        """Refused because the person withdrew (or objected), saying when."""
        p = self.purpose
        assert p is not None
        when = state.changed_at(choice, at)
        on = f" on {when.date().isoformat()}" if when is not None else ""
        if choice == self.pid:
            what = "withdrew consent to" if self.basis is Basis.OPT_IN else "objected to"
            objection = self.compiled.object_clauses if self.basis in OBJECTABLE else ()
            return refuse(f"the person {what} {p.id}{on}", p.clauses, objection)
        r = self.recipient
        assert r is not None
        return refuse(f"the person withdrew sharing with {r.id}{on}", r.clauses)

    def _gpc_since(self, state: SubjectState, refusal: Decision) -> Decision:
        if state.gpc_at is None:
            return refusal
        since = state.gpc_at.date().isoformat()
        reason = refusal.reason.replace("signal", f"signal (received {since})", 1)
        return Decision(False, reason, refusal.clauses)

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
        if self.basis is Basis.OPT_IN:  # nor consented to: the purpose's promise decides too
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


def _later(state: SubjectState, first: str, second: str, at: dt.datetime | None) -> bool:
    """Whether ``first`` was chosen after ``second`` (or ``second`` never was): a tie
    goes to ``second``, as in the audience query."""
    a, b = state.changed_at(first, at), state.changed_at(second, at)
    if a is None or b is None:
        return (
            b is None
            and state.consent_at(second, at) is None
            and (a is not None or state.consent_at(first, at) is not None)
        )
    return a > b


def _allowed_reason(
    p: CompiledPurpose, r: CompiledRecipient | None, basis: Basis, jurisdiction: str | None
) -> str:
    to = f" to {r.id}" if r is not None else ""
    where = f" in {jurisdiction}" if jurisdiction is not None and p.bases else ""
    return f"{p.id} ({basis.value}{where}){to}"


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
        return refuse(
            f"purpose {purpose} is not declared in the purposes of {c.tenant} {c.version}",
            c.statement_clauses,
        )
    for category in categories:
        known = c.categories.get(category)
        if known is None:
            return refuse(
                f"category {category} is not declared in the categories of {c.tenant} {c.version}",
                c.statement_clauses,
            )
        if category not in p.categories:
            return refuse(f"{p.id} does not use {category}", p.clauses, known.clauses)
    if p.sale and not c.sells_personal_data:
        return refuse("personal data is never sold", c.sharing_clauses, p.clauses)
    if p.shares_for_advertising and not c.shares_for_advertising:
        return refuse(
            "personal data is never shared for cross-context behavioural advertising",
            c.sharing_clauses,
            p.clauses,
        )
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
        return refuse(
            f"recipient {recipient} is not declared in the recipients of {c.tenant} {c.version}",
            c.sharing_clauses,
        )
    if r.basis is Basis.LEGAL:
        return refuse(f"{r.id} receives data only on a legal basis", r.clauses)
    if r.purposes and p.id not in r.purposes:
        return refuse(f"{r.id} does not receive data for {p.id}", r.clauses)
    extra = [x for x in categories if x not in r.categories]
    if extra:
        return refuse(f"{r.id} does not receive {', '.join(extra)}", r.clauses)
    if r.own_purposes and not (c.discloses_for_own_purposes or c.commercial_sharing):
        return refuse(
            f"no disclosure to a third party ({r.id}) for its own purposes", c.sharing_clauses
        )
    declared = (
        (p.sale and c.sells_personal_data)
        or (p.shares_for_advertising and c.shares_for_advertising)
        or (r.own_purposes and c.discloses_for_own_purposes)
    )
    if r.third_party and p.commercial and not (c.commercial_sharing or declared):
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
