"""The engine: the one place that answers "may we use this personal data?".

``Engine(ledger, statements)`` compiles each statement once, keyed by (tenant, version).
``may()`` loads a subject's snapshot with one query and decides under the statement
version in force for that subject, never another tenant's. ``decide()`` does the same on
a ``SubjectState`` already in memory, with no database at all. ``use`` decides and, when
allowed, records the use in the audit chain in the same transaction; ``may_disclose`` and
``may_disclose_legally`` only decide, and ``keepfaith.sharing`` records the disclosure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import sqlalchemy as sa

from keepfaith.engine import law
from keepfaith.engine.audience import current_audience, records_audience
from keepfaith.engine.compile import CompiledStatement, compile_statement, merge
from keepfaith.engine.decision import Decision
from keepfaith.engine.rules import Plan, refuse
from keepfaith.exceptions import NotFound
from keepfaith.ledger import allowances, statements
from keepfaith.ledger.rows import Record, Subject
from keepfaith.ledger.snapshot import SubjectState, load_state
from keepfaith.ledger.transaction import Ledger, Transaction
from keepfaith.statement.schema import RetentionStart, RightKind, RightsNotice, Statement

SubjectLike = Subject | SubjectState | int
Categories = str | Iterable[str]
PLAN_CACHE_SIZE = 4096
TELL_PERSON = "tell the person of this disclosure, unless the law forbids it"
"""The obligation an allowed legal disclosure carries where the statement promises it."""


class Engine:
    """Decides every use of personal data against the compiled statements."""

    def __init__(self, ledger: Ledger, statements: Iterable[Statement] = ()) -> None:
        self.ledger = ledger
        self._compiled: dict[tuple[str, str], CompiledStatement] = {}
        self._plans: dict[tuple[str, str, str, tuple[str, ...], str | None], Plan] = {}
        self._profiles: dict[str, dict[int, SubjectState]] = {}
        self._answers: dict[
            tuple[str, str, tuple[str, ...], str | None], tuple[list[int], list[int], int]
        ] = {}
        self._new_uses: dict[tuple[str, str, str], tuple[str, ...]] = {}
        for statement in statements:
            self.add(statement)

    def add(self, statement: Statement) -> CompiledStatement:
        """Compile a statement version (once) and decide its subjects under it."""
        compiled = compile_statement(statement)
        self._compiled[compiled.key] = compiled
        return compiled

    def compiled(self, tenant: str, version: str) -> CompiledStatement:
        """The compiled statement of a version, compiling it from the ledger if needed."""
        found = self._compiled.get((tenant, version))
        if found is None:
            with self.ledger.reading() as tx:
                found = self.add(statements.get(tx, tenant, version))
        return found

    def plan(
        self,
        tenant: str,
        version: str,
        purpose: str,
        categories: Categories,
        recipient: str | None = None,
    ) -> Plan:
        """The planned question for one statement version (cached)."""
        cats = _categories(categories)
        key = (tenant, version, purpose, cats, recipient)
        plan = self._plans.get(key)
        if plan is None:
            if len(self._plans) >= PLAN_CACHE_SIZE:
                self._plans.clear()
            plan = Plan(self.compiled(tenant, version), purpose, cats, recipient)
            self._plans[key] = plan
        return plan

    # ------------------------------------------------------------------ deciding

    def decide(
        self,
        state: SubjectState,
        purpose: str,
        categories: Categories,
        recipient: str | None = None,
        at: dt.datetime | None = None,
    ) -> Decision:
        """Decide for a subject snapshot in memory; no database access once planned.

        A person with a pending change of version is decided under the new version once
        it is due for them (PA-32), under their own until then.
        """
        if state.pending is not None:
            state = self.in_force(state, at)
        if state.refused:
            state = self.kept_terms(state, purpose)
        key = (state.tenant, state.version, purpose, _categories(categories), recipient)
        plan = self._plans.get(key)
        if plan is None:
            try:
                plan = self.plan(*key)
            except NotFound:
                return refuse(f"no published statement {state.tenant} {state.version}")
        return plan.decide(state, at)

    def decide_many(
        self,
        states: Iterable[SubjectState],
        purpose: str,
        categories: Categories,
        recipient: str | None = None,
        at: dt.datetime | None = None,
    ) -> list[Decision]:
        """Decide one question for many snapshots (planned once per statement version)."""
        cats = _categories(categories)
        plan: Plan | None = None
        decisions: list[Decision] = []
        for state in states:
            if state.pending is not None:
                state = self.in_force(state, at)
            if state.refused:
                state = self.kept_terms(state, purpose)
            if plan is None or state.version != plan.version or state.tenant != plan.tenant:
                plan = self.plan(state.tenant, state.version, purpose, cats, recipient)
            decisions.append(plan.decide(state, at))
        return decisions

    def in_force(self, state: SubjectState, at: dt.datetime | None = None) -> SubjectState:
        """The snapshot as decided at ``at``: on the version its pending change gives
        then. Once the change applies, the person counts as told of its new uses from
        its due time (they were emailed or it was posted, PA-32), as ``may()`` needs to
        allow an opt-out use of data collected before it."""
        version = state.version_at(at)
        if version == state.version or state.pending is None:
            return state
        due = state.pending[1]
        told = dict(state.notified)
        for purpose in self.new_uses(state.tenant, state.version, version):
            told.setdefault(purpose, due or state.as_of or dt.datetime.now(dt.UTC))
        return replace(state, version=version, pending=None, notified=told)

    def kept_terms(self, state: SubjectState, purpose: str) -> SubjectState:
        """The snapshot ``purpose`` is decided on: under the version a refused change
        came from when that change altered the purpose (the person refused that new
        use), else as it is (ES-17, PA-32)."""
        for old, new in state.refused:
            if purpose in self.new_uses(state.tenant, old, new):
                return replace(state, version=old)
        return state

    def new_uses(self, tenant: str, old: str, new: str) -> tuple[str, ...]:
        """Purposes of ``new`` that ``old`` lacks or that use more categories in ``new``."""
        key = (tenant, old, new)
        found = self._new_uses.get(key)
        if found is None:
            found = new_uses(
                self.compiled(tenant, old).statement, self.compiled(tenant, new).statement
            )
            self._new_uses[key] = found
        return found

    def state(
        self, subject: SubjectLike, tx: Transaction | None = None, *, tenant: str | None = None
    ) -> SubjectState:
        """A subject's snapshot, read with one query.

        A bare id is looked up within ``tenant`` when one is given, so a caller serving
        one tenant cannot reach another's subject by guessing ids (``NotFound``).
        """
        if isinstance(subject, SubjectState):
            if tenant is not None and subject.tenant != tenant:
                raise NotFound(f"no subject {subject.subject_id} in tenant {tenant!r}")
            return subject
        if isinstance(subject, int):
            subject_id, within = subject, tenant
        else:
            if tenant is not None and subject.tenant != tenant:
                raise NotFound(f"no subject {subject.id} in tenant {tenant!r}")
            subject_id, within = subject.id, subject.tenant
        with self._connection(tx) as connection:
            return load_state(connection, subject_id, within, self.ledger.clock())

    def may(
        self,
        subject: SubjectLike,
        purpose: str,
        categories: Categories,
        recipient: str | None = None,
        at: dt.datetime | None = None,
        *,
        tx: Transaction | None = None,
        tenant: str | None = None,
    ) -> Decision:
        """May this subject's data of these categories serve this purpose (for a recipient)?

        Decided under the statement version in force for the subject, at ``at`` (now by
        default). The answer names the clauses that decided it. Give ``tenant`` to refuse
        (``NotFound``) a subject of any other tenant.
        """
        state = self.state(subject, tx, tenant=tenant)
        return self.decide(state, purpose, categories, recipient, at)

    def use(
        self,
        subject: Subject,
        purpose: str,
        categories: Categories,
        recipient: str | None = None,
        *,
        tx: Transaction | None = None,
        at: dt.datetime | None = None,
    ) -> Decision:
        """Decide, and record an allowed use in the audit chain (refusals change nothing)."""
        cats = _categories(categories)
        with self._transaction(tx) as work:
            decision = self.may(subject, purpose, cats, recipient, at, tx=work)
            if decision.allowed:
                work.audit(
                    "use",
                    "subject",
                    subject.id,
                    tenant=subject.tenant,
                    details={
                        "purpose": purpose,
                        "categories": list(cats),
                        "recipient": recipient,
                        "clauses": list(decision.clauses),
                    },
                )
        return decision

    def may_disclose(
        self,
        subject: SubjectLike,
        recipient: str,
        purpose: str,
        categories: Categories,
        *,
        country: str | None = None,
        tx: Transaction | None = None,
        at: dt.datetime | None = None,
    ) -> Decision:
        """May these categories go to a declared recipient for ``purpose`` (and, with
        ``country``, to that country)? Decides only: ``keepfaith.sharing`` records."""
        cats = _categories(categories)
        decision = self.may(subject, purpose, cats, recipient, at, tx=tx)
        if not decision.allowed or country is None:
            return decision
        moved = self.may_transfer(subject, country, recipient, tx=tx)
        if not moved.allowed:
            return moved
        reason = f"{decision.reason}; {moved.reason}"
        return Decision(True, reason, merge(decision.clauses, moved.clauses))

    def may_disclose_legally(
        self,
        tenant: str,
        version: str,
        basis: str,
        *,
        reference: str | None = None,
    ) -> Decision:
        """May data go out without consent on this legal ``basis``, under statement
        ``version``? Only the bases in the statement's ``legal_disclosures``, and, where
        it promises a document, only against one (its ``reference``). The allowed answer
        carries the obligation to tell the person where the statement promises it."""
        compiled = self.compiled(tenant, version)
        clauses = compiled.legal_disclosures.get(basis)
        if clauses is None:
            every = merge(*compiled.legal_disclosures.values())
            declared = ", ".join(sorted(compiled.legal_disclosures)) or "none"
            return refuse(f"{basis} is not a declared legal basis ({declared})", every)
        promised = [d for d in compiled.statement.legal_disclosures if d.basis.value == basis]
        if reference is None and any(d.requires_document for d in promised):
            return refuse(
                f"{basis}: disclosed only against a document, and none was given", clauses
            )
        tell = any(d.notify_person for d in promised) or (
            RightsNotice.DISCLOSURE in compiled.statement.rights.tell_person
        )
        obligations = (TELL_PERSON,) if tell else ()
        return Decision(True, f"legal disclosure: {basis}", clauses, obligations)

    def may_disclose_anonymous(self, tenant: str) -> Decision:
        """Anonymous data (identifiers removed, PA-02) may go out without consent (PA-20)."""
        with self.ledger.reading() as tx:
            version = statements.current_version(tx, tenant)
        compiled = self.compiled(tenant, version)
        if compiled.anonymous_disclosure:
            return Decision(True, "anonymous data is not personal data", compiled.anonymous_clauses)
        return refuse(
            "the statement does not allow disclosing anonymous data", compiled.anonymous_clauses
        )

    # ------------------------------------------------------------------ the law's other answers

    def may_request(
        self,
        subject: SubjectLike,
        right: RightKind | str,
        *,
        made_before: int = 0,
        tx: Transaction | None = None,
    ) -> Decision:
        """Whether the person has this right where they are, and on which terms (days,
        extension, quota, agents); see ``keepfaith.engine.law.request``."""
        state = self.state(subject, tx)
        compiled = self.compiled(state.tenant, state.version)
        return law.request(compiled, right, state.jurisdiction, made_before=made_before)

    def may_transfer(
        self,
        subject: SubjectLike,
        country: str,
        recipient: str | None = None,
        *,
        tx: Transaction | None = None,
    ) -> Decision:
        """Whether the person's data may go to ``country`` (for ``recipient``), and on
        which safeguard; see ``keepfaith.engine.law.transfer``."""
        state = self.state(subject, tx)
        compiled = self.compiled(state.tenant, state.version)
        return law.transfer(compiled, recipient, country, state.jurisdiction)

    def transfer_mechanism(
        self,
        subject: SubjectLike,
        country: str,
        recipient: str | None = None,
        *,
        tx: Transaction | None = None,
    ) -> str | None:
        """The safeguard a transfer to ``country`` rests on, in words (None at home); see
        ``keepfaith.engine.law.mechanism``."""
        state = self.state(subject, tx)
        compiled = self.compiled(state.tenant, state.version)
        return law.mechanism(compiled, recipient, country, state.jurisdiction)

    def may_keep(
        self,
        record: Record,
        at: dt.datetime | None = None,
        started: Mapping[RetentionStart, dt.datetime] | None = None,
        recipient: str | None = None,
    ) -> Decision:
        """Whether a record may still be held at ``at``, its period counted from its
        declared start; see ``keepfaith.engine.law.retention``."""
        compiled = self.compiled(record.tenant, record.statement_version)
        moment = at or dt.datetime.now(dt.UTC)
        return law.retention(
            compiled, record.category, record.collected_at or moment, moment, started, recipient
        )

    # ------------------------------------------------------------------ projecting

    def project(self, records: Iterable[Record], recipient: str) -> list[Record]:
        """Only the records whose category the recipient may receive (EZ-13).

        Each record is judged under its own tenant and statement version; an undeclared
        recipient receives nothing.
        """
        kept = []
        for record in records:
            compiled = self.compiled(record.tenant, record.statement_version)
            declared = compiled.recipients.get(recipient)
            if declared is not None and record.category in declared.categories:
                kept.append(record)
        return kept

    # ------------------------------------------------------------------ audience

    def audience(
        self,
        tenant: str,
        purpose: str,
        categories: Categories,
        recipient: str | None = None,
        at: dt.datetime | None = None,
    ) -> sa.Select[Any]:
        """A ``SELECT`` of the ids of the tenant's subjects ``may()`` allows, as one query.

        Now (``at=None``): each distinct profile of the tenant's subjects is decided by
        the rules, and the query reads one allowances row per subject. At a past time:
        the rules in SQL over the records and the consent history. Either way each
        subject is judged under its own statement version, as ``may()`` does.
        """
        if at is not None:
            return self.records_audience(tenant, purpose, categories, recipient, at)
        cats = _categories(categories)
        allowed, held = self._decided_profiles(tenant, purpose, cats, recipient)
        return current_audience(tenant, allowed, held, self.ledger.clock())

    def records_audience(
        self,
        tenant: str,
        purpose: str,
        categories: Categories,
        recipient: str | None = None,
        at: dt.datetime | None = None,
    ) -> sa.Select[Any]:
        """``audience`` the long way, from the records and consent tables, even now: the
        check that the allowances agree with the records (and the benchmark's baseline)."""
        cats = _categories(categories)
        plans = self._plans_for(tenant, purpose, cats, recipient)
        return records_audience(tenant, plans, at or self.ledger.clock(), at)

    def audience_ids(
        self,
        tenant: str,
        purpose: str,
        categories: Categories,
        recipient: str | None = None,
        at: dt.datetime | None = None,
    ) -> Iterator[int]:
        """The ids ``audience`` selects, streamed from the database."""
        query = self.audience(tenant, purpose, categories, recipient, at)
        # Streaming keeps a server-side cursor open, which needs a transaction.
        with self.ledger.engine.connect() as connection:
            for subject_id in (
                connection.execution_options(yield_per=10_000).execute(query).scalars()
            ):
                yield int(subject_id)

    def _plans_for(
        self, tenant: str, purpose: str, cats: tuple[str, ...], recipient: str | None
    ) -> list[Plan]:
        """The question planned for every published version of the tenant."""
        with self.ledger.reading() as tx:
            versions = [v.version for v in statements.versions(tx, tenant)]
        return [self.plan(tenant, v, purpose, cats, recipient) for v in versions]

    def _decided_profiles(
        self, tenant: str, purpose: str, cats: tuple[str, ...], recipient: str | None
    ) -> tuple[list[int], list[int]]:
        """The tenant's profiles this question allows, and those it allows only while a
        hold lasts; profiles never change, so each is decided once per question."""
        known = self._profiles.setdefault(tenant, {})
        with self.ledger.reading() as tx:
            known.update(allowances.profiles(tx, tenant, after=max(known, default=0)))
        key = (tenant, purpose, cats, recipient)
        allowed, held, upto = self._answers.get(key, ([], [], 0))
        for profile_id in sorted(p for p in known if p > upto):
            state = known[profile_id]
            if self.decide(replace(state, holds=()), purpose, cats, recipient).allowed:
                allowed.append(profile_id)
            elif state.holds and self.decide(state, purpose, cats, recipient).allowed:
                held.append(profile_id)
        if len(self._answers) >= PLAN_CACHE_SIZE:
            self._answers.clear()
        self._answers[key] = (allowed, held, max(known, default=0))
        return allowed, held

    # ------------------------------------------------------------------ plumbing

    @contextmanager
    def _connection(self, tx: Transaction | None) -> Iterator[sa.Connection]:
        """The transaction's connection, or one for a single-statement read."""
        if tx is not None:
            yield tx.connection
        else:
            with self.ledger.reader.connect() as connection:
                yield connection

    @contextmanager
    def _transaction(self, tx: Transaction | None) -> Iterator[Transaction]:
        if tx is not None:
            yield tx
        else:
            with self.ledger.transaction(actor="engine") as work:
                yield work


def new_uses(old: Statement, new: Statement) -> tuple[str, ...]:
    """Purposes of ``new`` that ``old`` lacks, or that use more categories in ``new``:
    the new uses a person is told of when they move from ``old`` to ``new``."""
    before = {p.id: set(p.categories) for p in old.purposes}
    return tuple(
        p.id for p in new.purposes if p.id not in before or not set(p.categories) <= before[p.id]
    )


def _categories(categories: Categories) -> tuple[str, ...]:
    if isinstance(categories, str):
        return (categories,)
    return categories if isinstance(categories, tuple) else tuple(categories)
