"""Sending queued messages: decide again, hand over, record; exactly once across a crash.

The ``messaging.send`` job sends a selection of messages (some ids, or one batch of a
campaign) a chunk at a time (``CHUNK`` messages), over ``smtp_connections`` sessions
with the relay that stay open for the whole job:

1. **decide the chunk** (one transaction): the chunk's queued rows are read in one
   query, the people's snapshots, addresses and names in a few set-based queries
   (``load_states`` over runs of ids, ``records.of_subjects``), every decision taken
   again with ``Engine.decide_many``, the suppression list read in one query per
   purpose, and each message rendered (in the person's language: their stored one,
   else the message's, else the tenant's first) and composed. A message the decision now refuses
   is ``withheld``, with the decision that refused it, in this same transaction.
2. **rounds**: each session takes the chunk's next message and sends its envelope and
   body, but not the final dot, so nothing is delivered yet;
3. **hand over** (one transaction per round, which also records the verdicts of the
   round before): the decision is confirmed first: the people's allowances rows (the
   sum of every fact the engine decides on) must be those the chunk was decided on, and
   no suppression may have come since. A message whose person changed is dropped with
   its session (the relay discards a message whose connection ends before the dot) and
   decided again; the others are marked ``handed``, with the decision that let them go.
   So a withdrawal that commits before the hand-over always wins;
4. **finish**: the final dot, and the relay's verdict: ``sent``, or ``failed``.

A worker killed at any point leaves each message ``queued`` (the relay dropped it with
the connection, so it is decided and sent again) or ``handed`` (the dot had been, or was
about to be, sent: it counts as sent and is never sent again). What remains is the
moment between committing ``handed`` and the dot leaving the machine; SMTP offers no way
to close it, and keepfaith chooses to lose such a message rather than send it twice.

Temporary failures (4xx, a lost connection) put the message back in the queue and the
job is retried with backoff; after the job's last attempt they count as failed.
Permanent ones (5xx) are recorded, and a recipient the relay says does not exist is put
on the suppression list.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from keepfaith.collect.links import link_token
from keepfaith.engine import Decision, Engine
from keepfaith.exceptions import KeepfaithError, NotFound, Refused
from keepfaith.jobs import Context, task
from keepfaith.ledger import Ledger, Subject, Transaction, records, statements, subjects
from keepfaith.ledger import messages as rows
from keepfaith.ledger.allowances import allowances
from keepfaith.ledger.messages import EVERY_PURPOSE, campaigns, messages
from keepfaith.ledger.rows import ConsentState, Record
from keepfaith.ledger.snapshot import SubjectState, load_states
from keepfaith.messaging import addresses, compose, links, templates
from keepfaith.messaging import values as provided
from keepfaith.messaging.outbox import EMAIL, NAME, SEND, decide_for_address, engine_for
from keepfaith.messaging.smtp import Connection, Reply, SMTPFailure
from keepfaith.settings import Settings
from keepfaith.statement.schema import Purpose

ATTEMPTS = 8
"""Runs of a send job: backoff 2, 4, 8... 128 s between them, about four minutes in all."""

CHUNK = 500
"""Messages decided together, in one transaction, before they are sent in rounds."""

RUN_GAP = 8
"""Subjects whose ids are at most this far apart are read in one range of snapshots."""

UNCONFIRMED = "handed to the relay; the worker stopped before its answer was recorded"


class TryAgainLater(KeepfaithError):
    """Some messages met a temporary failure; the job runs again after its backoff."""


@dataclass(frozen=True)
class Selection:
    """The messages one job sends: some ids, or a batch of a campaign."""

    ids: tuple[int, ...] = ()
    campaign: int | None = None
    batch: int | None = None

    def where(self) -> sa.ColumnElement[bool]:
        if self.campaign is not None:
            return sa.and_(messages.c.campaign_id == self.campaign, messages.c.batch == self.batch)
        return messages.c.id.in_(self.ids)


@task(SEND, attempts=ATTEMPTS, backoff=2)
def send(
    context: Context,
    messages: list[int] | None = None,
    campaign: int | None = None,
    batch: int | None = None,
) -> None:
    """Send the queued messages of a selection (ids, or a campaign's batch)."""
    selection = Selection(tuple(messages or ()), campaign, batch)
    deliver(context.ledger, context.settings, selection, last=context.attempt >= ATTEMPTS)


def deliver(
    ledger: Ledger,
    settings: Settings,
    selection: Selection,
    *,
    last: bool = False,
    engine: Engine | None = None,
    given: Mapping[int, tuple[str, Mapping[str, Any]]] | None = None,
) -> dict[str, int]:
    """Send what is queued in ``selection``; how many messages ended in each state.

    Raises ``TryAgainLater`` when some met a temporary failure (unless ``last``: then
    they fail for good). ``given`` holds, by message id, the address and values of a
    single-use message that were never written down (``keepfaith.messaging.referrals``):
    such a message is tried once, and leaves not even a keyed hash of its address.
    """
    run = _Run(ledger, settings, engine or engine_for(ledger), selection, last or bool(given))
    run.given = dict(given or {})
    recover(ledger, selection)
    return asyncio.run(run.go())


def recover(ledger: Ledger, selection: Selection) -> None:
    """Settle what a stopped worker left: a ``handed`` message counts as sent (one still
    ``queued`` is simply sent again: the relay dropped it with the connection)."""
    with ledger.transaction(actor="outbox") as tx:
        where = selection.where()
        handed = tx.connection.execute(
            messages.update()
            .where(where, messages.c.status == "handed")
            .values(
                status="sent",
                outcome=UNCONFIRMED,
                sent_at=tx.now(),
                context=None,
                to_address=None,
            )
            .returning(messages.c.id)
        ).scalars()
        settled = sorted(handed)
        if settled:
            tx.audit("recover", "message", None, details={"sent": settled})


@dataclass
class _Outgoing:
    """A message of this round: rendered, decided, and the connection that carries it."""

    id: int
    tenant: str
    attempts: int
    envelope: compose.Envelope
    digest: str
    clauses: list[str]
    connection: int = 0
    stored_digest: str | None = None
    """What the outbox row keeps of the address: its keyed hash, or nothing (single use)."""
    purpose: str = ""
    given_at: dt.datetime | None = None
    """When the person last gave consent to the purpose (a later suppression stops it)."""
    subject_id: int | None = None
    profile: int | None = None
    """The person's allowances profile the decision was taken on."""


@dataclass
class _Changes:
    """Changes to outbox rows, recorded together in one transaction."""

    rows: dict[int, dict[str, Any]] = field(default_factory=dict)
    by_status: dict[str, list[int]] = field(default_factory=dict)
    suppress: list[tuple[str, str]] = field(default_factory=list)
    digests: dict[int, str] = field(default_factory=dict)
    """The keyed hash of the address each decided message is to go to."""

    def set(self, message_id: int, status: str, **values: Any) -> None:
        self.rows[message_id] = {"status": status, **values}
        self.by_status.setdefault(status, []).append(message_id)

    def finished(self, message_id: int, status: str, outcome: str, **values: Any) -> None:
        """A message at its end: what it said and where it went are forgotten."""
        self.set(message_id, status, outcome=outcome, context=None, to_address=None, **values)

    def commit(self, tx: Transaction) -> None:
        rows.set_status(tx, {i: {"to_digest": d} for i, d in self.digests.items()})
        rows.set_status(tx, self.rows)
        for tenant, digest in self.suppress:
            rows.suppress(tx, tenant, digest, EVERY_PURPOSE, "the relay refused the address")
        if self.by_status:
            tx.audit("deliver", "message", None, details=dict(self.by_status))


class _Run:
    def __init__(
        self, ledger: Ledger, settings: Settings, engine: Engine, selection: Selection, last: bool
    ) -> None:
        self.ledger, self.settings, self.engine = ledger, settings, engine
        self.selection, self.last = selection, last
        self.size = settings.smtp_connections
        self.connections: list[Connection | None] = [None] * self.size
        self.counts: dict[str, int] = {}
        self.postponed: dict[int, tuple[str, str]] = {}
        self.after = 0  # messages go in id order; one postponed waits for the job's next run
        self.given: dict[int, tuple[str, Mapping[str, Any]]] = {}
        self._templates: dict[tuple[str, str, str], str] = {}
        """The variant of each template in each language, found once per job."""

    async def go(self) -> dict[str, int]:
        verdicts = _Changes()
        try:
            while True:
                with self.ledger.transaction(actor="outbox") as tx:
                    self._record(tx, verdicts)
                    chunk, decided = self._decide(tx)
                    self._record(tx, decided)
                verdicts = _Changes()
                if chunk is None:
                    break
                verdicts = await self._send(chunk)
            self._give_up_or_retry()
        finally:
            await self._close()
        return self.counts

    async def _send(self, chunk: list[_Outgoing]) -> _Changes:
        """Send a decided chunk in rounds, one message per session each; the verdicts of
        the last round, to be recorded with the next chunk's decisions."""
        verdicts = _Changes()
        for start in range(0, len(chunk), self.size):
            round_ = chunk[start : start + self.size]
            for slot, message in enumerate(round_):
                message.connection = slot
            await self._open(len(round_))
            handed = _Changes()
            begun = await self._begin(round_, handed)
            with self.ledger.transaction(actor="outbox") as tx:
                self._record(tx, verdicts)
                changed = self._confirm(tx, begun, handed)
                self._record(tx, handed)
                paused = self._campaign_paused(tx)
            for message in changed:  # dropped with its session: the relay discards it
                self._drop(message.connection)
            verdicts = await self._finish([m for m in begun if m not in changed])
            if changed:
                # Those people changed since the chunk was decided: decide again from the
                # first of them (what comes after it in the chunk, too).
                self.after = min(m.id for m in changed) - 1
                break
            if paused and start + self.size < len(chunk):
                # Paused: the rest stays queued; the next decision sees the pause and ends.
                self.after = chunk[start + self.size].id - 1
                break
        return verdicts

    def _record(self, tx: Transaction, changes: _Changes) -> None:
        changes.commit(tx)
        for status, ids in changes.by_status.items():
            self.counts[status] = self.counts.get(status, 0) + len(ids)

    # ------------------------------------------------------------------ 1. decide

    def _decide(self, tx: Transaction) -> tuple[list[_Outgoing] | None, _Changes]:
        """The chunk's messages to send, decided again and rendered (``None``: no more),
        and the ones that are not to be sent."""
        decided = _Changes()
        if self._paused(tx):
            return None, decided
        found = tx.connection.execute(
            sa.select(messages)
            .where(
                self.selection.where(), messages.c.status == "queued", messages.c.id > self.after
            )
            .order_by(messages.c.id)
            .limit(CHUNK)
        ).all()
        if not found:
            return None, decided
        self.after = found[-1].id
        found = [row for row in found if row.id not in self.postponed]
        self._prefetch(tx, found)
        prepared = [self._prepare(tx, row, decided) for row in found]
        ready = [item for item in prepared if item is not None]
        outgoing: list[_Outgoing] = []
        for message in ready:
            stopped = self._suppressed(tx, message, ready)
            if stopped is not None:
                decided.finished(message.id, "withheld", stopped, to_digest=message.stored_digest)
            else:
                outgoing.append(message)
                if message.stored_digest is not None:
                    decided.digests[message.id] = message.stored_digest
        return outgoing, decided

    def _prefetch(self, tx: Transaction, found: Sequence[Any]) -> None:
        """Read the chunk's people at once: their snapshots over runs of close ids (a
        campaign's batch is one or a few runs), their addresses and names, and their
        allowances rows, each in one query per tenant; then decide them all."""
        self._states: dict[int, SubjectState] = {}
        self._held: dict[int, list[Record]] = {}
        self._profiles: dict[int, int | None] = {}
        self._decisions: dict[tuple[int | None, str, str], Decision] = {}
        self._languages: dict[int, str] = {}
        by_template: dict[str, list[int]] = {}
        for row in found:
            by_template.setdefault(row.template, []).append(int(row.id))
        self._provided = provided.values_of(tx, self.settings, by_template)
        by_tenant: dict[str, list[int]] = {}
        for row in found:
            if row.subject_id is not None:
                by_tenant.setdefault(row.tenant, []).append(int(row.subject_id))
        now = self.ledger.clock()
        for tenant, ids in by_tenant.items():
            wanted = set(ids)
            for low, high in _runs(sorted(wanted)):
                for state in load_states(tx.connection, low, high, now):
                    if state.tenant == tenant and state.subject_id in wanted:
                        self._states[state.subject_id] = state
            self._held.update(records.of_subjects(tx, tenant, ids, [EMAIL, NAME]))
            self._languages.update(subjects.languages(tx, tenant, ids))
            self._profiles.update(_profiles(tx.connection, ids))
        wanted_decisions: dict[tuple[str, str], list[SubjectState]] = {}
        for row in found:
            known = self._states.get(row.subject_id)
            if known is not None:
                for category in (EMAIL, NAME):
                    wanted_decisions.setdefault((row.purpose, category), []).append(known)
        for (purpose, category), states in wanted_decisions.items():
            for state, decision in zip(
                states, self.engine.decide_many(states, purpose, category), strict=True
            ):
                self._decisions[(state.subject_id, purpose, category)] = decision

    def _decided(self, state: SubjectState, purpose: str, category: str) -> Decision:
        found = self._decisions.get((state.subject_id, purpose, category))
        return found if found is not None else self.engine.decide(state, purpose, category)

    def _prepare(self, tx: Transaction, row: Any, decided: _Changes) -> _Outgoing | None:
        """Decide one message again and render it; ``None`` if it is not to be sent."""
        try:
            decision, values, address, given_at, purpose = self._decision(tx, row)
        except (NotFound, Refused) as error:
            decided.finished(row.id, "withheld", str(error), outcome_clauses=[])
            return None
        if not decision.allowed:
            clauses = list(decision.clauses)
            decided.finished(row.id, "withheld", decision.reason, outcome_clauses=clauses)
            return None
        if row.promotional:
            values["unsubscribe_url"] = links.unsubscribe_url(
                self.settings.public_url, self.settings.secret_key, row.tenant, row.id
            )
        try:
            statement = statements.get(tx, row.tenant, row.statement_version)
            rendered = templates.render(
                self.settings.mail_templates,
                statement,
                purpose,
                self._localised(statement, row),
                {**(row.context or {}), **self._provided.get(row.id, {}), **values},
                promotional=row.promotional,
            )
            envelope = compose.compose(
                self.settings,
                message_id=row.id,
                tenant=row.tenant,
                to=address,
                rendered=rendered,
                promotional=row.promotional,
                now=tx.now(),
            )
        except (NotFound, Refused) as error:
            decided.finished(row.id, "failed", str(error))
            return None
        digest = addresses.digest(self.settings.secret_key, address)
        message = _Outgoing(
            row.id, row.tenant, row.attempts, envelope, digest, list(decision.clauses)
        )
        message.stored_digest = None if row.id in self.given else digest
        message.purpose, message.given_at = row.purpose, given_at
        if row.subject_id is not None:
            message.subject_id = int(row.subject_id)
            message.profile = self._profiles.get(message.subject_id)
        return message

    def _localised(self, statement: Any, row: Any) -> str:
        """The message's template in the person's language: the subject's stored one,
        else the message's own, else the tenant's first; the template itself (English)
        where the tenant and keepfaith have no variant in it."""
        language = (
            self._languages.get(row.subject_id) if row.subject_id is not None else None
        ) or (row.language or statement.languages[0])
        key = (row.tenant, row.template, language)
        found = self._templates.get(key)
        if found is None:
            found = self._templates[key] = templates.localised(
                self.settings.mail_templates, row.tenant, row.template, language
            )
        return found

    def _decision(
        self, tx: Transaction, row: Any
    ) -> tuple[Decision, dict[str, Any], str, dt.datetime | None, Purpose]:
        """The decision taken again, the template's values, the address, and when the
        person last gave consent to the purpose (a later suppression still stops it)."""
        if row.subject_id is None:
            statement = statements.get(tx, row.tenant)
            purpose = statement.purpose(row.purpose)
            decision = decide_for_address(self.engine, statement, purpose)
            if row.id in self.given:
                address, kept = self.given[row.id]
                return decision, dict(kept), addresses.checked(address), None, purpose
            return decision, {}, addresses.checked(row.to_address), None, purpose
        state = self._states.get(row.subject_id) or self.engine.state(
            row.subject_id, tx, tenant=row.tenant
        )
        purpose = statements.get(tx, state.tenant, state.version).purpose(row.purpose)
        decision = self._decided(state, row.purpose, EMAIL)
        if not decision.allowed:
            return decision, {}, "", None, purpose
        subject = Subject(row.subject_id, state.tenant, state.kind, state.version)
        held = self._held.get(subject.id)
        if held is None:
            held = records.of(tx, subject, [EMAIL, NAME])
        emails = [r.value for r in held if r.category == EMAIL and r.value]
        if not emails:
            refused = Decision(False, "the person has no email address on record")
            return refused, {}, "", None, purpose
        values: dict[str, Any] = {"privacy_center_url": self._privacy_center(row)}
        names = [r.value for r in held if r.category == NAME and r.value]
        if names and self._decided(state, row.purpose, NAME).allowed:
            values["name"] = names[-1]
        given = state.consent.get(row.purpose) == ConsentState.GIVEN
        given_at = state.changed_at(row.purpose, None) if given else None
        return decision, values, addresses.checked(emails[-1]), given_at, purpose

    def _suppressed(
        self, tx: Transaction, message: _Outgoing, ready: list[_Outgoing]
    ) -> str | None:
        """Why the suppression list stops this message, if it does: an unsubscribe of the
        purpose (unless consent was given again since), or of every message."""
        key = (message.tenant, message.purpose)
        if key not in self._lists:
            digests = [m.digest for m in ready if (m.tenant, m.purpose) == key]
            self._lists[key] = rows.suppressed(tx.connection, message.tenant, digests, key[1])
        when = self._lists[key].get(message.digest)
        if when is None or not _stops(message, message.digest, message.purpose, when):
            return None
        return f"the address is on the suppression list since {when:%Y-%m-%d %H:%M} UTC"

    def _paused(self, tx: Transaction) -> bool:
        self._lists: dict[tuple[str, str], dict[str, dt.datetime]] = {}
        self._decided_at = tx.now()
        return self._campaign_paused(tx)

    def _campaign_paused(self, tx: Transaction) -> bool:
        """Whether the campaign being sent was paused (checked every round)."""
        if self.selection.campaign is None:
            return False
        status = tx.connection.execute(
            _CAMPAIGN_STATUS, {"campaign": self.selection.campaign}
        ).scalar()
        return status != "running"

    def _privacy_center(self, row: Any) -> str:
        token = link_token(self.settings.secret_key, row.tenant, str(row.subject_id))
        return f"{self.settings.public_url.rstrip('/')}/t/{row.tenant}/privacy-center?token={token}"

    # ------------------------------------------------------------------ 2. begin, 3. hand over

    async def _open(self, wanted: int) -> None:
        """Have ``wanted`` usable connections (reopening any the relay closed)."""
        local = compose.domain_of(self.settings)
        for slot in range(wanted):
            current = self.connections[slot]
            if current is None or not current.usable:
                self.connections[slot] = await Connection.open(self.settings, local)

    def _drop(self, slot: int) -> None:
        connection = self.connections[slot]
        if connection is not None:
            connection.abort()
        self.connections[slot] = None

    async def _begin(self, outgoing: list[_Outgoing], handed: _Changes) -> list[_Outgoing]:
        async def one(message: _Outgoing) -> _Outgoing | None:
            connection = self.connections[message.connection]
            assert connection is not None
            try:
                await connection.begin(message.envelope)
            except SMTPFailure as failure:
                self._failed(message, failure, handed)
                return None
            return message

        begun = await asyncio.gather(*(one(message) for message in outgoing))
        return [message for message in begun if message is not None]

    def _confirm(
        self, tx: Transaction, begun: list[_Outgoing], handed: _Changes
    ) -> list[_Outgoing]:
        """Mark the round's messages ``handed`` in ``tx``, but for those whose person
        changed since the chunk was decided (returned: they are to be decided again)."""
        people = [m.subject_id for m in begun if m.subject_id is not None]
        now = _profiles(tx.connection, people) if people else {}
        late: dict[str, list[tuple[str, str, dt.datetime]]] = {}
        for tenant in {m.tenant for m in begun}:
            digests = [m.digest for m in begun if m.tenant == tenant]
            late[tenant] = rows.suppressed_since(tx.connection, tenant, digests, self._decided_at)
        changed = [
            m
            for m in begun
            if (m.subject_id is not None and now.get(m.subject_id) != m.profile)
            or any(_stops(m, *found) for found in late[m.tenant])
        ]
        for message in begun:
            if message in changed:
                continue
            handed.set(
                message.id,
                "handed",
                attempts=message.attempts + 1,
                outcome_clauses=message.clauses,
            )
        return changed

    # ------------------------------------------------------------------ 4. finish

    async def _finish(self, begun: list[_Outgoing]) -> _Changes:
        verdicts = _Changes()
        now = self.ledger.clock()  # one time for the round: its rows update as one

        async def one(message: _Outgoing) -> None:
            connection = self.connections[message.connection]
            assert connection is not None
            try:
                reply = await connection.finish()
            except SMTPFailure:
                # The dot went out: whether the relay kept the message cannot be known.
                verdicts.finished(message.id, "sent", NO_ANSWER, sent_at=now)
                return
            if reply.ok:
                verdicts.finished(message.id, "sent", str(reply), sent_at=now)
            else:
                failure = SMTPFailure(str(reply), temporary=reply.temporary, reply=reply)
                self._failed(message, failure, verdicts)

        await asyncio.gather(*(one(message) for message in begun))
        return verdicts

    def _failed(self, message: _Outgoing, failure: SMTPFailure, changes: _Changes) -> None:
        if failure.temporary:
            self.postponed[message.id] = (message.tenant, str(failure))
            changes.set(message.id, "queued", outcome=str(failure), attempts=message.attempts + 1)
            return
        changes.finished(
            message.id,
            "failed",
            str(failure),
            to_digest=message.stored_digest,
            attempts=message.attempts + 1,
        )
        if message.stored_digest and failure.reply is not None and _mailbox_unknown(failure.reply):
            changes.suppress.append((message.tenant, message.digest))

    def _give_up_or_retry(self) -> None:
        if not self.postponed:
            return
        if not self.last:
            raise TryAgainLater(
                f"{len(self.postponed)} message(s) met a temporary failure; trying again later"
            )
        gave_up = _Changes()
        for message_id, (_tenant, why) in self.postponed.items():
            gave_up.finished(message_id, "failed", f"gave up after {ATTEMPTS} attempts: {why}")
        with self.ledger.transaction(actor="outbox") as tx:
            self._record(tx, gave_up)

    async def _close(self) -> None:
        for connection in self.connections:
            if connection is None:
                continue
            if connection.in_message:
                connection.abort()
            else:
                await connection.close()


NO_ANSWER = "handed to the relay; the connection closed before it answered"


def _stops(message: _Outgoing, digest: str, purpose: str, at: dt.datetime) -> bool:
    """Whether a suppression made ``at`` stops the message: one of its address, for its
    purpose or every one, unless the person gave consent again since."""
    if digest != message.digest or purpose not in (message.purpose, EVERY_PURPOSE):
        return False
    return message.given_at is None or message.given_at <= at


def _runs(ids: Sequence[int]) -> list[tuple[int, int]]:
    """Sorted ids as ranges (low, high) in which no two ids are more than ``RUN_GAP`` apart."""
    found: list[tuple[int, int]] = []
    for subject_id in ids:
        if found and subject_id - found[-1][1] <= RUN_GAP:
            found[-1] = (found[-1][0], subject_id)
        else:
            found.append((subject_id, subject_id))
    return found


_CAMPAIGN_STATUS = sa.select(campaigns.c.status).where(campaigns.c.id == sa.bindparam("campaign"))

_PROFILES = sa.select(allowances.c.subject_id, allowances.c.profile_id).where(
    allowances.c.subject_id.in_(sa.bindparam("ids", expanding=True))
)
"""Built once: every round of every send job reads it."""


def _profiles(connection: sa.Connection, subject_ids: Sequence[int]) -> dict[int, int | None]:
    """The allowances profile of each subject: it changes with any fact the engine
    decides on, so an unchanged profile means an unchanged decision."""
    found: dict[int, int | None] = dict.fromkeys(subject_ids)
    for subject_id, profile_id in connection.execute(_PROFILES, {"ids": list(found)}):
        found[int(subject_id)] = int(profile_id)
    return found


def _mailbox_unknown(reply: Reply) -> bool:
    """A permanent refusal that says the mailbox does not exist or cannot take mail."""
    return reply.code in (550, 551, 553) or reply.text.startswith(("5.1.1", "5.1.2", "5.2.1"))
