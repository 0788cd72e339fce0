"""The ledger: open it, migrate it, and change it in units of work that audit themselves.

``Ledger`` owns the database engine and the keys; ``Ledger.transaction()`` yields a
``Transaction`` whose methods read and change the ledger. Every change queues an audit
entry, and the entries are appended to the chain just before the same transaction
commits, so a change and its audit entry exist together or not at all.

The ledger checks every change against the statement version published for the tenant:
a subject kind, category, collection point or purpose that the statement does not
declare is refused, and values of sensitive categories are encrypted.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from keepfaith.exceptions import AuditChainBroken, ConfigurationError, NotFound, Refused
from keepfaith.ledger import audit
from keepfaith.ledger.crypto import Keyring
from keepfaith.ledger.rows import (
    ConsentEvent,
    ConsentKind,
    ConsentMethod,
    Disclosure,
    Hold,
    Record,
    StatementVersion,
    Status,
    Subject,
    counts,
    recipient_choice,
)
from keepfaith.ledger.tables import (
    collected_for,
    consent_events,
    consent_state,
    disclosures,
    holds,
    preferences,
    records,
    statement_versions,
    subjects,
)
from keepfaith.ledger.upsert import upsert
from keepfaith.settings import Settings
from keepfaith.statement import Statement, loads
from keepfaith.statement.load import declared_identity

Clock = Callable[[], dt.datetime]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def utc(when: dt.datetime) -> dt.datetime:
    """A time as aware UTC; naive times (as SQLite returns them) are taken as UTC."""
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


class Ledger:
    """What the company holds and did, in one SQLite file or PostgreSQL database.

    ``keys`` encrypts values of sensitive categories; without it such values are refused
    (``ConfigurationError``). ``clock`` gives the current time (tests pass their own).
    """

    def __init__(
        self,
        database_url: str,
        *,
        keys: Keyring | None = None,
        clock: Clock = utcnow,
        pool_size: int | None = None,
        audit_key: str | bytes | None = None,
    ) -> None:
        self.database_url = database_url
        self.keys = keys
        self.audit_key = audit.audit_key(audit_key)
        self.clock = clock
        options: dict[str, Any] = {}
        if pool_size is not None and not database_url.startswith("sqlite"):
            options["pool_size"] = pool_size
        # Bound values are personal data: keep them out of error messages and logs.
        self.engine = sa.create_engine(database_url, hide_parameters=True, **options)
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        elif self.engine.dialect.name == "postgresql":
            sa.event.listen(self.engine, "connect", _postgresql_settings)
        # Reads of one statement need no transaction: a statement sees one snapshot, and
        # autocommit spares the BEGIN and ROLLBACK round trips (half the cost of a look-up).
        self.reader: sa.Engine = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self._statements: dict[tuple[str, str], Statement] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> Ledger:
        """The ledger the settings describe (database URL and encryption keys)."""
        return cls(
            settings.database_url,
            keys=Keyring.from_settings(settings),
            pool_size=settings.database_pool_size,
            audit_key=settings.audit_key,
        )

    def migrate(self) -> None:
        """Create or upgrade every table to the newest revision (Alembic ``heads``)."""
        from keepfaith.ledger.migrate import upgrade

        upgrade(self.engine)

    def close(self) -> None:
        """Release every database connection."""
        self.engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self, actor: str = "system") -> Iterator[Transaction]:
        """A unit of work: every change in it, and its audit entries, commit together.

        ``actor`` names who acts (a staff user id, ``web``, ``system``) in the audit chain.
        """
        with self.engine.begin() as connection:
            tx = Transaction(self, connection, actor)
            yield tx
            committed = tx.flush()
        committed()

    # Reads that need no unit of work of their own.
    def subject(self, tenant: str, subject_id: int) -> Subject:
        with self.transaction() as tx:
            return tx.subject(tenant, subject_id)

    def records(self, subject: Subject, categories: Iterable[str] | None = None) -> list[Record]:
        with self.transaction() as tx:
            return tx.records(subject, categories)

    def consent_history(self, subject: Subject, choice: str | None = None) -> list[ConsentEvent]:
        with self.transaction() as tx:
            return tx.consent_history(subject, choice)

    def statement(self, tenant: str, version: str | None = None) -> Statement:
        with self.transaction() as tx:
            return tx.statement(tenant, version)

    def audit_entries(self, after: int = 0) -> list[audit.AuditEntry]:
        """The audit chain's entries after position ``after``, in order."""
        with self.engine.connect() as connection:
            return list(audit.entries(connection, after))

    def verify_audit(self, witness: Mapping[str, Any] | None = None) -> int:
        """Check the audit log and the rows it recorded; return how many entries it has.

        Raises ``AuditChainBroken`` naming every problem (see ``keepfaith.ledger.verify``).
        """
        from keepfaith.ledger.verify import verify

        result = verify(self, witness)
        if result.problems:
            raise AuditChainBroken(result.problems)
        return result.entries

    def seal_audit(self) -> audit.Seal | None:
        """Seal every audit entry not sealed yet, in batches; the newest seal made, or
        ``None`` if there was nothing to seal."""
        newest = None
        while True:
            with self.engine.begin() as connection:
                made = audit.seal(connection, self.audit_key, self.clock())
            if made is None:
                return newest
            newest = made
            if made.entries < audit.BATCH:
                return newest

    def rotate_keys(self, batch: int = 1000) -> int:
        """Re-encrypt every value not under the active key; return how many were."""
        keys = self._require_keys()
        done = 0
        while True:
            with self.transaction(actor="keys") as tx:
                count = tx.reencrypt(keys, batch)
            done += count
            if count < batch:
                return done

    def _require_keys(self) -> Keyring:
        if self.keys is None or self.keys.active_key_id is None:
            raise ConfigurationError(
                "a sensitive category needs encryption keys: set encryption_keys and active_key_id"
            )
        return self.keys


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _postgresql_settings(dbapi_connection: Any, _record: Any) -> None:
    # The ledger's queries are short or index-driven; PostgreSQL's JIT compiler spends
    # more (hundreds of ms on an audience query) than it ever saves them.
    cursor = dbapi_connection.cursor()
    cursor.execute("SET jit = off")
    cursor.close()
    dbapi_connection.commit()


class Transaction:
    """Reads and changes inside one unit of work (see ``Ledger.transaction``)."""

    def __init__(self, ledger: Ledger, connection: sa.Connection, actor: str) -> None:
        self.ledger = ledger
        self.connection = connection
        self.actor = actor
        self._changes: list[audit.Change] = []

    # ------------------------------------------------------------------ audit

    def audit(
        self,
        action: str,
        object: str,
        object_id: object = None,
        *,
        tenant: str | None = None,
        details: Mapping[str, Any] | None = None,
        at: dt.datetime | None = None,
    ) -> None:
        """Queue an audit entry (ids, categories, purposes only: never a person's values)."""
        self._changes.append(
            audit.change(
                at=at or self.ledger.clock(),
                tenant=tenant,
                actor=self.actor,
                action=action,
                object=object,
                object_id=object_id,
                details=details,
            )
        )

    def flush(self) -> Callable[[], None]:
        """Append the queued audit entries (done on commit); return what to call after it."""
        committed = audit.append(self.connection, self._changes, self.ledger.audit_key)
        self._changes = []
        return committed

    # ------------------------------------------------------------------ statements

    def publish(self, statement: Statement, source_text: str | None = None) -> StatementVersion:
        """Store a statement version for its tenant; it becomes the tenant's current one.

        Publishing the same version again with the same text is a no-op; with another
        text it is refused (a published version never changes).
        """
        text = source_text if source_text is not None else _as_text(statement)
        if source_text is not None:
            # The stored text is what later decisions load: it must be this statement's.
            declared = declared_identity(source_text)
            if declared != (statement.id, statement.version):
                raise Refused(
                    f"the text given for {statement.id} {statement.version} declares "
                    f"{' '.join(declared)}"
                )
        existing = self.connection.execute(
            sa.select(statement_versions).where(
                statement_versions.c.tenant == statement.id,
                statement_versions.c.version == statement.version,
            )
        ).first()
        if existing is not None:
            if existing.text != text:
                raise Refused(
                    f"statement {statement.id} version {statement.version} is already "
                    "published with another text"
                )
            return _statement_version(existing)
        now = self.ledger.clock()
        self.connection.execute(
            statement_versions.insert().values(
                tenant=statement.id, version=statement.version, text=text, published_at=now
            )
        )
        self.ledger._statements[(statement.id, statement.version)] = statement
        self.audit("publish", "statement", statement.version, tenant=statement.id)
        return StatementVersion(statement.id, statement.version, text, now)

    def current_version(self, tenant: str) -> str:
        """The tenant's most recently published statement version."""
        version = self.connection.execute(
            sa.select(statement_versions.c.version)
            .where(statement_versions.c.tenant == tenant)
            .order_by(statement_versions.c.published_at.desc(), statement_versions.c.id.desc())
            .limit(1)
        ).scalar()
        if version is None:
            raise NotFound(f"tenant {tenant!r} has no published statement")
        return str(version)

    def statement(self, tenant: str, version: str | None = None) -> Statement:
        """A published statement version of the tenant (the current one by default)."""
        version = version or self.current_version(tenant)
        cached = self.ledger._statements.get((tenant, version))
        if cached is not None:
            return cached
        text = self.connection.execute(
            sa.select(statement_versions.c.text).where(
                statement_versions.c.tenant == tenant, statement_versions.c.version == version
            )
        ).scalar()
        if text is None:
            raise NotFound(f"tenant {tenant!r} has no published statement version {version!r}")
        statement = loads(text, source=f"<{tenant} {version}>")
        self.ledger._statements[(tenant, version)] = statement
        return statement

    def statement_versions(self, tenant: str) -> list[StatementVersion]:
        """Every published version of the tenant, oldest first."""
        rows = self.connection.execute(
            sa.select(statement_versions)
            .where(statement_versions.c.tenant == tenant)
            .order_by(statement_versions.c.published_at, statement_versions.c.id)
        )
        return [_statement_version(row) for row in rows]

    # ------------------------------------------------------------------ subjects

    def add_subject(
        self,
        tenant: str,
        kind: str,
        *,
        statement_version: str | None = None,
        reference: str | None = None,
        known_child: bool = False,
    ) -> Subject:
        """Add a person of a declared kind, decided under ``statement_version``.

        The version defaults to the tenant's current one. ``reference`` is the caller's
        own id for the person, unique in the tenant.
        """
        version = statement_version or self.current_version(tenant)
        statement = self.statement(tenant, version)
        if kind not in {k.id for k in statement.subject_kinds}:
            raise Refused(f"subject kind {kind!r} is not declared by {tenant} {version}")
        now = self.ledger.clock()
        subject_id = self.connection.execute(
            subjects.insert()
            .values(
                tenant=tenant,
                kind=kind,
                statement_version=version,
                status=Status.ACTIVE.value,
                known_child=known_child,
                gpc=False,
                reference=reference,
                created_at=now,
                updated_at=now,
            )
            .returning(subjects.c.id)
        ).scalar_one()
        self.audit("add", "subject", subject_id, tenant=tenant, details={"kind": kind})
        return Subject(
            subject_id, tenant, kind, version, Status.ACTIVE, known_child, False, reference, now
        )

    def subject(self, tenant: str, subject_id: int) -> Subject:
        """The subject with this id in this tenant; ``NotFound`` in any other tenant."""
        row = self.connection.execute(
            sa.select(subjects).where(subjects.c.id == subject_id, subjects.c.tenant == tenant)
        ).first()
        if row is None:
            raise NotFound(f"no subject {subject_id} in tenant {tenant!r}")
        return _subject(row)

    def subject_by_reference(self, tenant: str, reference: str) -> Subject:
        """The subject the caller knows by ``reference`` in this tenant."""
        row = self.connection.execute(
            sa.select(subjects).where(
                subjects.c.reference == reference, subjects.c.tenant == tenant
            )
        ).first()
        if row is None:
            raise NotFound(f"no subject with that reference in tenant {tenant!r}")
        return _subject(row)

    def subjects(self, tenant: str) -> list[Subject]:
        """Every subject of the tenant, by id."""
        rows = self.connection.execute(
            sa.select(subjects).where(subjects.c.tenant == tenant).order_by(subjects.c.id)
        )
        return [_subject(row) for row in rows]

    def set_status(self, subject: Subject, status: Status | str) -> Subject:
        """Mark the subject active, deactivated or deleted."""
        status = Status(status)
        return self._update_subject(subject, "status", {"status": status.value})

    def set_known_child(self, subject: Subject, known: bool = True) -> Subject:
        """Record actual knowledge that the subject is a child (PA-27): no use at all."""
        return self._update_subject(subject, "known_child", {"known_child": known})

    def set_gpc(self, subject: Subject, on: bool = True) -> Subject:
        """Record a Global Privacy Control signal: an objection to sale and advertising."""
        return self._update_subject(subject, "gpc", {"gpc": on})

    def set_statement_version(self, subject: Subject, version: str) -> Subject:
        """Decide the subject under another published version from now on."""
        self.statement(subject.tenant, version)
        return self._update_subject(subject, "statement_version", {"statement_version": version})

    def _update_subject(self, subject: Subject, what: str, values: dict[str, Any]) -> Subject:
        current = self.subject(subject.tenant, subject.id)
        self.connection.execute(
            subjects.update()
            .where(subjects.c.id == current.id)
            .values(**values, updated_at=self.ledger.clock())
        )
        self.audit(f"set_{what}", "subject", current.id, tenant=current.tenant, details=values)
        return self.subject(current.tenant, current.id)

    # ------------------------------------------------------------------ records

    def add_record(
        self,
        subject: Subject | None,
        category: str,
        value: str | None,
        *,
        tenant: str | None = None,
        collection_point: str | None = None,
        source: str | None = None,
        purposes: Iterable[str] | None = None,
        statement_version: str | None = None,
        provenance: Mapping[str, Any] | None = None,
        at: dt.datetime | None = None,
    ) -> Record:
        """Store one value of a declared category, with its provenance and purposes.

        ``collection_point`` (a declared point) or ``source`` (an outside source, ES-12)
        says where it came from. ``purposes`` are those stated at collection; they
        default to the collection point's. ``subject=None`` stores a detached record
        (feedback, PA-25) for ``tenant``. Sensitive categories are encrypted.
        """
        tenant = subject.tenant if subject is not None else tenant
        if tenant is None:
            raise Refused("a detached record needs its tenant")
        if subject is not None:
            subject = self.subject(tenant, subject.id)
            if subject.status is Status.DELETED:
                raise Refused(f"subject {subject.id} is deleted")
        version = statement_version or (
            subject.statement_version if subject else self.current_version(tenant)
        )
        statement = self.statement(tenant, version)
        stated = _stated_purposes(statement, category, collection_point, source, purposes)
        now = self.ledger.clock()
        stored, key_id = self._seal(statement, tenant, category, value)
        record_id = self.connection.execute(
            records.insert()
            .values(
                tenant=tenant,
                subject_id=subject.id if subject else None,
                category=category,
                value=stored,
                key_id=key_id,
                collection_point=collection_point,
                source=source,
                statement_version=version,
                provenance=dict(provenance or {}),
                anonymous=False,
                collected_at=at or now,
                updated_at=now,
            )
            .returning(records.c.id)
        ).scalar_one()
        # One row per stated purpose, or one with purpose "" when none was stated, so
        # that every record of a subject shows in ``collected_for``.
        self.connection.execute(
            collected_for.insert(),
            [
                {
                    "record_id": record_id,
                    "subject_id": subject.id if subject else None,
                    "category": category,
                    "purpose": purpose,
                    "collection_point": collection_point,
                }
                for purpose in stated or ("",)
            ],
        )
        details = {
            "category": category,
            "purposes": list(stated),
            "collection_point": collection_point,
            "subject": subject and subject.id,
        }
        self.audit("add", "record", record_id, tenant=tenant, details=details)
        return Record(
            record_id,
            tenant,
            subject.id if subject else None,
            category,
            value,
            stated,
            version,
            collection_point,
            source,
            dict(provenance or {}),
            False,
            at or now,
        )

    def records(self, subject: Subject, categories: Iterable[str] | None = None) -> list[Record]:
        """The subject's records (decrypted), oldest first, optionally of some categories."""
        query = sa.select(records).where(
            records.c.subject_id == subject.id, records.c.tenant == subject.tenant
        )
        if categories is not None:
            query = query.where(records.c.category.in_(list(categories)))
        return self._read_records(query.order_by(records.c.id))

    def detached_records(self, tenant: str) -> list[Record]:
        """The tenant's records tied to no one: detached feedback and anonymised data."""
        query = sa.select(records).where(records.c.tenant == tenant, records.c.subject_id.is_(None))
        return self._read_records(query.order_by(records.c.id))

    def correct_record(self, record: Record, value: str | None) -> Record:
        """Replace a record's value (a correction), keeping its provenance and purposes."""
        statement = self.statement(record.tenant, record.statement_version)
        stored, key_id = self._seal(statement, record.tenant, record.category, value)
        updated = self.connection.execute(
            records.update()
            .where(records.c.id == record.id, records.c.tenant == record.tenant)
            .values(value=stored, key_id=key_id, updated_at=self.ledger.clock())
        )
        if updated.rowcount != 1:
            raise NotFound(f"no record {record.id} in tenant {record.tenant!r}")
        self.audit(
            "correct",
            "record",
            record.id,
            tenant=record.tenant,
            details={"category": record.category},
        )
        return Record(**{**record.__dict__, "value": value})

    def delete_records(self, subject: Subject, categories: Iterable[str] | None = None) -> int:
        """Erase the subject's records (of some categories); return how many."""
        ids = [r.id for r in self._record_rows(subject, categories)]
        self._delete_record_ids(ids)
        self.audit(
            "delete",
            "record",
            None,
            tenant=subject.tenant,
            details={"subject": subject.id, "records": ids},
        )
        return len(ids)

    def anonymise(self, subject: Subject, keep: Iterable[str]) -> int:
        """Turn the subject's records of ``keep`` categories into anonymous ones (PA-02).

        Kept records lose their link to the subject and are marked anonymous; every other
        record of the subject is erased. Returns how many anonymous records remain.
        """
        keep = set(keep)
        rows = self._record_rows(subject, None)
        kept = [r.id for r in rows if r.category in keep]
        self._delete_record_ids([r.id for r in rows if r.category not in keep])
        if kept:
            self.connection.execute(
                records.update()
                .where(records.c.id.in_(kept))
                .values(subject_id=None, anonymous=True, updated_at=self.ledger.clock())
            )
            self.connection.execute(
                collected_for.update()
                .where(collected_for.c.record_id.in_(kept))
                .values(subject_id=None)
            )
        self.audit(
            "anonymise",
            "subject",
            subject.id,
            tenant=subject.tenant,
            details={"kept": sorted(keep), "records": kept},
        )
        return len(kept)

    def reencrypt(self, keys: Keyring, limit: int) -> int:
        """Re-encrypt up to ``limit`` values not under the active key; return how many."""
        rows = self.connection.execute(
            sa.select(
                records.c.id,
                records.c.tenant,
                records.c.category,
                records.c.value,
                records.c.key_id,
            )
            .where(records.c.key_id.is_not(None), records.c.key_id != keys.active_key_id)
            .order_by(records.c.id)
            .limit(limit)
        ).all()
        for row in rows:
            context = f"{row.tenant}:{row.category}"
            plain = keys.decrypt(row.key_id, row.value, context)
            key_id, token = keys.encrypt(plain, context)
            self.connection.execute(
                records.update().where(records.c.id == row.id).values(value=token, key_id=key_id)
            )
        if rows:
            self.audit(
                "rotate_keys",
                "record",
                None,
                details={"records": len(rows), "key_id": keys.active_key_id},
            )
        return len(rows)

    def _seal(
        self, statement: Statement, tenant: str, category: str, value: str | None
    ) -> tuple[str | None, str | None]:
        if value is None or not statement.category(category).sensitive:
            return value, None
        key_id, token = self.ledger._require_keys().encrypt(value, f"{tenant}:{category}")
        return token, key_id

    def _record_rows(self, subject: Subject, categories: Iterable[str] | None) -> list[Any]:
        query = sa.select(records.c.id, records.c.category).where(
            records.c.subject_id == subject.id, records.c.tenant == subject.tenant
        )
        if categories is not None:
            query = query.where(records.c.category.in_(list(categories)))
        return list(self.connection.execute(query))

    def _delete_record_ids(self, ids: list[int]) -> None:
        if ids:
            self.connection.execute(
                collected_for.delete().where(collected_for.c.record_id.in_(ids))
            )
            self.connection.execute(records.delete().where(records.c.id.in_(ids)))

    def _read_records(self, query: sa.Select[Any]) -> list[Record]:
        rows = self.connection.execute(query).all()
        ids = [row.id for row in rows]
        stated: dict[int, list[str]] = {}
        if ids:
            for record_id, purpose in self.connection.execute(
                sa.select(collected_for.c.record_id, collected_for.c.purpose)
                .where(collected_for.c.record_id.in_(ids))
                .order_by(collected_for.c.record_id, collected_for.c.purpose)
            ):
                if purpose:
                    stated.setdefault(record_id, []).append(purpose)
        return [self._record(row, tuple(stated.get(row.id, ()))) for row in rows]

    def _record(self, row: Any, purposes: tuple[str, ...]) -> Record:
        value = row.value
        if row.key_id is not None and value is not None:
            if self.ledger.keys is None:
                raise ConfigurationError("encrypted values need encryption_keys to be read")
            value = self.ledger.keys.decrypt(row.key_id, value, f"{row.tenant}:{row.category}")
        return Record(
            row.id,
            row.tenant,
            row.subject_id,
            row.category,
            value,
            purposes,
            row.statement_version,
            row.collection_point,
            row.source,
            dict(row.provenance or {}),
            bool(row.anonymous),
            utc(row.collected_at),
        )

    # ------------------------------------------------------------------ consent

    def consent(
        self,
        subject: Subject,
        purpose: str | None = None,
        *,
        recipient: str | None = None,
        kind: ConsentKind | str = ConsentKind.GIVEN,
        method: ConsentMethod | str = ConsentMethod.EXPLICIT,
        evidence: Mapping[str, Any] | None = None,
        at: dt.datetime | None = None,
    ) -> ConsentEvent:
        """Append a consent event for a purpose or for sharing with a recipient.

        ``kind`` is given, withdrawn, reaffirmed or notified; ``method`` how it was
        expressed. A ``default`` method or ``evidence={"pre_ticked": True}`` is recorded
        but does not count as consent nor objection (EZ-14).
        """
        if (purpose is None) == (recipient is None):
            raise Refused("a consent event is for one purpose or one recipient")
        subject = self.subject(subject.tenant, subject.id)
        statement = self.statement(subject.tenant, subject.statement_version)
        if purpose is not None and purpose not in {p.id for p in statement.purposes}:
            raise Refused(f"purpose {purpose!r} is not declared by {subject.tenant}")
        if recipient is not None and recipient not in {r.id for r in statement.recipients}:
            raise Refused(f"recipient {recipient!r} is not declared by {subject.tenant}")
        choice = purpose if purpose is not None else recipient_choice(str(recipient))
        kind, method, evidence = ConsentKind(kind), ConsentMethod(method), dict(evidence or {})
        when = utc(at) if at is not None else self.ledger.clock()
        counted = counts(method, evidence) and kind is not ConsentKind.NOTIFIED
        event_id = self.connection.execute(
            consent_events.insert()
            .values(
                tenant=subject.tenant,
                subject_id=subject.id,
                choice=choice,
                kind=kind.value,
                method=method.value,
                counts=counted,
                evidence=evidence,
                statement_version=subject.statement_version,
                at=when,
            )
            .returning(consent_events.c.id)
        ).scalar_one()
        if counted:
            self._set_consent_state(subject.id, choice, kind, when)
        self.audit(
            kind.value,
            "consent",
            event_id,
            tenant=subject.tenant,
            details={
                "subject": subject.id,
                "choice": choice,
                "method": method.value,
                "counts": counted,
                "at": audit.timestamp(when),
            },
        )
        return ConsentEvent(
            event_id,
            subject.tenant,
            subject.id,
            choice,
            kind,
            method,
            counted,
            evidence,
            subject.statement_version,
            when,
        )

    def _set_consent_state(
        self, subject_id: int, choice: str, kind: ConsentKind, when: dt.datetime
    ) -> None:
        state = "withdrawn" if kind is ConsentKind.WITHDRAWN else "given"
        upsert(
            self.connection,
            consent_state,
            {"subject_id": subject_id, "choice": choice, "state": state, "at": when},
            ["subject_id", "choice"],
            only_if_newer="at",
        )

    def consent_history(self, subject: Subject, choice: str | None = None) -> list[ConsentEvent]:
        """The subject's consent events, oldest first (all choices, or one)."""
        query = sa.select(consent_events).where(
            consent_events.c.subject_id == subject.id, consent_events.c.tenant == subject.tenant
        )
        if choice is not None:
            query = query.where(consent_events.c.choice == choice)
        rows = self.connection.execute(query.order_by(consent_events.c.at, consent_events.c.id))
        return [
            ConsentEvent(
                row.id,
                row.tenant,
                row.subject_id,
                row.choice,
                ConsentKind(row.kind),
                ConsentMethod(row.method),
                bool(row.counts),
                dict(row.evidence),
                row.statement_version,
                utc(row.at),
            )
            for row in rows
        ]

    # ------------------------------------------------------------------ preferences

    def set_preference(self, subject: Subject, key: str, value: Any) -> None:
        """Set one of the subject's preferences (any JSON value)."""
        subject = self.subject(subject.tenant, subject.id)
        values = {"subject_id": subject.id, "key": key, "value": value}
        upsert(
            self.connection,
            preferences,
            {**values, "updated_at": self.ledger.clock()},
            ["subject_id", "key"],
        )
        self.audit("set", "preference", subject.id, tenant=subject.tenant, details={"key": key})

    def preferences(self, subject: Subject) -> dict[str, Any]:
        """The subject's preferences by key."""
        self.subject(subject.tenant, subject.id)
        rows = self.connection.execute(
            sa.select(preferences.c.key, preferences.c.value).where(
                preferences.c.subject_id == subject.id
            )
        )
        return {key: value for key, value in rows}

    # ------------------------------------------------------------------ holds

    def add_hold(self, subject: Subject, reason: str, until: dt.datetime | None = None) -> Hold:
        """Hold the subject's data for a reason the statement declares, until a time."""
        subject = self.subject(subject.tenant, subject.id)
        statement = self.statement(subject.tenant, subject.statement_version)
        if reason not in {h.reason for h in statement.rights.holds}:
            raise Refused(f"hold reason {reason!r} is not declared by {subject.tenant}")
        now = self.ledger.clock()
        until = utc(until) if until is not None else None
        hold_id = self.connection.execute(
            holds.insert()
            .values(
                tenant=subject.tenant,
                subject_id=subject.id,
                reason=reason,
                until=until,
                created_at=now,
            )
            .returning(holds.c.id)
        ).scalar_one()
        self.audit(
            "add",
            "hold",
            hold_id,
            tenant=subject.tenant,
            details={"subject": subject.id, "reason": reason},
        )
        return Hold(hold_id, subject.tenant, subject.id, reason, until, now)

    def release_hold(self, hold: Hold) -> None:
        """End a hold now."""
        self.connection.execute(
            holds.update()
            .where(holds.c.id == hold.id, holds.c.tenant == hold.tenant)
            .values(released_at=self.ledger.clock())
        )
        self.audit("release", "hold", hold.id, tenant=hold.tenant)

    def holds(self, subject: Subject) -> list[Hold]:
        """The subject's holds, released ones included."""
        rows = self.connection.execute(
            sa.select(holds)
            .where(holds.c.subject_id == subject.id, holds.c.tenant == subject.tenant)
            .order_by(holds.c.id)
        )
        return [
            Hold(
                row.id,
                row.tenant,
                row.subject_id,
                row.reason,
                utc(row.until) if row.until else None,
                utc(row.created_at),
                utc(row.released_at) if row.released_at else None,
            )
            for row in rows
        ]

    # ------------------------------------------------------------------ disclosures

    def record_disclosure(
        self,
        tenant: str,
        subject: Subject | None,
        recipient: str,
        categories: Iterable[str],
        basis: str,
        *,
        purpose: str | None = None,
        country: str | None = None,
        reference: str | None = None,
        anonymous: bool = False,
        at: dt.datetime | None = None,
    ) -> Disclosure:
        """Add an entry to the disclosure log (who received which categories, and why).

        Callers decide first: ``Engine.disclose`` and ``Engine.disclose_legally`` ask the
        engine and record here only what it allowed.
        """
        if subject is not None and subject.tenant != tenant:
            raise NotFound(f"no subject {subject.id} in tenant {tenant!r}")
        cats = tuple(categories)
        when = utc(at) if at is not None else self.ledger.clock()
        disclosure_id = self.connection.execute(
            disclosures.insert()
            .values(
                tenant=tenant,
                subject_id=subject.id if subject else None,
                recipient=recipient,
                categories=list(cats),
                basis=basis,
                purpose=purpose,
                country=country,
                reference=reference,
                anonymous=anonymous,
                at=when,
            )
            .returning(disclosures.c.id)
        ).scalar_one()
        self.audit(
            "disclose",
            "disclosure",
            disclosure_id,
            tenant=tenant,
            details={
                "subject": subject.id if subject else None,
                "categories": list(cats),
                "basis": basis,
                "purpose": purpose,
            },
        )
        return Disclosure(
            disclosure_id,
            tenant,
            subject.id if subject else None,
            recipient,
            cats,
            basis,
            purpose,
            country,
            reference,
            anonymous,
            when,
        )

    def disclosures(self, tenant: str, subject: Subject | None = None) -> list[Disclosure]:
        """The tenant's disclosure log (of one subject, if given), oldest first."""
        query = sa.select(disclosures).where(disclosures.c.tenant == tenant)
        if subject is not None:
            query = query.where(disclosures.c.subject_id == subject.id)
        rows = self.connection.execute(query.order_by(disclosures.c.at, disclosures.c.id))
        return [
            Disclosure(
                row.id,
                row.tenant,
                row.subject_id,
                row.recipient,
                tuple(row.categories),
                row.basis,
                row.purpose,
                row.country,
                row.reference,
                bool(row.anonymous),
                utc(row.at),
            )
            for row in rows
        ]


def _stated_purposes(
    statement: Statement,
    category: str,
    point_id: str | None,
    source: str | None,
    purposes: Iterable[str] | None,
) -> tuple[str, ...]:
    """The purposes stated at collection, checked against the statement."""
    if category not in {c.id for c in statement.categories}:
        raise Refused(f"category {category!r} is not declared by {statement.id}")
    declared = {p.id for p in statement.purposes}
    if point_id is not None:
        points = {p.id: p for p in statement.collection_points}
        if point_id not in points:
            raise Refused(f"collection point {point_id!r} is not declared by {statement.id}")
        point = points[point_id]
        if category not in {f.category for f in point.fields}:
            raise Refused(f"collection point {point_id!r} does not collect {category!r}")
        stated = tuple(purposes) if purposes is not None else point.purposes
        undeclared = set(stated) - set(point.purposes)
    elif source is not None:
        stated = tuple(purposes or ())
        undeclared = set(stated) - declared
    else:
        raise Refused("a record needs its collection point or its outside source")
    if undeclared:
        raise Refused(f"purposes {sorted(undeclared)} were not stated at collection")
    return tuple(dict.fromkeys(stated))


def _as_text(statement: Statement) -> str:
    return json.dumps(statement.model_dump(mode="json", exclude_defaults=True), indent=1)


def _statement_version(row: Any) -> StatementVersion:
    return StatementVersion(row.tenant, row.version, row.text, utc(row.published_at))


def _subject(row: Any) -> Subject:
    return Subject(
        row.id,
        row.tenant,
        row.kind,
        row.statement_version,
        Status(row.status),
        bool(row.known_child),
        bool(row.gpc),
        row.reference,
        utc(row.created_at),
    )
