"""The ledger and its unit of work.

``Ledger`` owns the database engine, the keys and the clock. ``Ledger.transaction()``
yields a ``Transaction``: the connection, the actor, the clock and the audit queue of one
unit of work, committed together. It has no domain methods: each concern is a module of
plain functions over a ``tx`` beside its tables (``subjects.add(tx, ...)``,
``consents.record(tx, ...)``), and each change queues its audit entry with ``tx.audit``.
The entries are appended to the chain just before the transaction commits, so a change
and its audit entry exist together or not at all.

``Ledger.reading()`` yields a ``Transaction`` for reads only, on a connection in
autocommit: a read of one statement needs no ``BEGIN`` and ``ROLLBACK``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from keepfaith.clock import Clock, utcnow
from keepfaith.exceptions import AuditChainBroken, ConfigurationError, Conflict
from keepfaith.ledger import audit
from keepfaith.ledger.crypto import Keyring
from keepfaith.settings import Settings

DEVELOPMENT_LOOKUP_KEY = "keepfaith-development-lookup-key"
"""The look-up key of a ledger made without one (tests, scripts): never for production."""


class Ledger:
    """What the company holds and did, in one SQLite file or PostgreSQL database.

    ``keys`` encrypts values of sensitive categories; without it such values are refused
    (``ConfigurationError``). ``clock`` tells every change its time (tests pass their own).
    ``audit_key`` (base64) keys the audit log's MACs and seals.
    """

    def __init__(
        self,
        database_url: str,
        *,
        keys: Keyring | None = None,
        clock: Clock = utcnow,
        pool_size: int | None = None,
        audit_key: str | bytes | None = None,
        lookup_key: str | None = None,
    ) -> None:
        self.database_url = database_url
        self.keys = keys
        self.audit_key = audit.audit_key(audit_key)
        """Keys the audit log (see ``keepfaith.ledger.audit``); a development key if unset."""
        self.lookup_key = lookup_key or DEVELOPMENT_LOOKUP_KEY
        """Keys the digests people are found by (``keepfaith.ledger.lookups``): the
        deployment's secret key; a development key if unset."""
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
        self.caches: defaultdict[str, dict[Any, Any]] = defaultdict(dict)
        """What concerns keep in memory between units of work, by concern (parsed
        statements, allowance profiles): committed data only, so each fills its cache
        from ``tx.after_commit`` when the data is its own unit's."""

    @classmethod
    def from_settings(cls, settings: Settings) -> Ledger:
        """The ledger the settings describe (database URL and encryption keys)."""
        return cls(
            settings.database_url,
            keys=Keyring.from_settings(settings),
            pool_size=settings.database_pool_size,
            audit_key=settings.audit_key,
            lookup_key=settings.secret_key,
        )

    def migrate(self) -> None:
        """Create or upgrade every table to the newest revision."""
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

        ``actor`` names who acts (a staff user, ``web``, ``system``) in the audit chain.
        A duplicate the database refuses (two writers racing on one key) is ``Conflict``.
        """
        try:
            with self.engine.connect() as connection, connection.begin():
                tx = Transaction(self, connection, actor)
                yield tx
                tx.prepare()
        except sa.exc.IntegrityError as error:
            raise Conflict("a concurrent change conflicted with this one; try again") from error
        tx.committed()

    @contextmanager
    def reading(self, actor: str = "system") -> Iterator[Transaction]:
        """A unit of work for reads only, each statement in autocommit; changes are refused."""
        with self.reader.connect() as connection:
            tx = Transaction(self, connection, actor, writable=False)
            yield tx
        tx.committed()

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

    def require_keys(self) -> Keyring:
        """The keyring, or ``ConfigurationError`` when none can encrypt."""
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
    """One unit of work: connection, actor, clock and audit queue, committed together.

    ``before_commit`` and ``after_commit`` let a concern take part in the commit without
    the transaction knowing it: work that must land in the same commit (a derived row, a
    job) runs just before it, and what may only follow a commit (filling a cache, waking
    a worker) runs after it, and never after a rollback. ``memo`` holds what a concern
    remembers for the length of the unit of work only.
    """

    def __init__(
        self, ledger: Ledger, connection: sa.Connection, actor: str, *, writable: bool = True
    ) -> None:
        self.ledger = ledger
        self.connection = connection
        self.actor = actor
        self.clock = ledger.clock
        self.writable = writable
        self.memo: dict[Any, Any] = {}
        self._changes: list[audit.Change] = []
        self._before: list[Callable[[], None]] = []
        self._after: list[Callable[[], None]] = []

    def now(self) -> dt.datetime:
        """The current time on the ledger's clock."""
        return self.clock()

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
        if not self.writable:
            raise RuntimeError("a change was made in Ledger.reading(): use Ledger.transaction()")
        self._changes.append(
            audit.change(
                at=at or self.clock(),
                tenant=tenant,
                actor=self.actor,
                action=action,
                object=object,
                object_id=object_id,
                details=details,
            )
        )

    def before_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` inside this transaction, just before it commits."""
        self._before.append(callback)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once this transaction has committed (never after a rollback)."""
        self._after.append(callback)

    def prepare(self) -> None:
        """Run the before-commit work, then append the queued audit entries (on commit)."""
        while self._before:
            self._before.pop(0)()
        self.after_commit(audit.append(self.connection, self._changes, self.ledger.audit_key))
        self._changes = []

    def committed(self) -> None:
        """Run the after-commit work (``Ledger.transaction`` calls it)."""
        while self._after:
            self._after.pop(0)()
