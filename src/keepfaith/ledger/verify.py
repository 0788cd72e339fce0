"""Verify the ledger: the audit log itself, and the rows it recorded against its entries.

``keepfaith.ledger.audit.verify`` proves that the entries are the ones written. This
module then holds the rows that decisions read to those entries, so that a row changed
behind keepfaith's back (a flipped ``consent_state``, a consent event rewritten, a record
moved to another person or purpose, or erased without an entry) is named, not obeyed:

- every consent event has its entry, with the same subject, choice, kind, method, counting
  and time; every entry's event is there;
- ``consent_state`` is what the counting entries add up to, latest first;
- every record has the entry that added it, with the same subject, category, collection
  point and purposes (unless an entry anonymised it), and no record outlives the entry
  that deleted it.

Values are not compared (entries never hold them); their integrity is the encryption's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from keepfaith.clock import utc
from keepfaith.ledger import audit
from keepfaith.ledger.consents import consent_events, consent_state
from keepfaith.ledger.records import collected_for, records

if TYPE_CHECKING:
    from keepfaith.ledger.transaction import Ledger


def verify(ledger: Ledger, witness: Mapping[str, Any] | None = None) -> audit.Verification:
    """Check the audit log against the key and ``witness``, then the rows against it."""
    seen = _Entries()
    with ledger.engine.connect() as connection:
        result = audit.verify(connection, ledger.audit_key, witness, seen.add)
        _check_consent_events(result, connection, seen)
        _check_consent_state(result, connection, seen)
        _check_records(result, connection, seen)
    return result


@dataclass
class _Record:
    tenant: str | None
    subject: int | None
    category: str
    collection_point: str | None
    purposes: tuple[str, ...]
    anonymous: bool = False
    deleted: bool = False


@dataclass
class _Entries:
    """What the entries say about consent events and records, gathered in one pass."""

    consents: dict[int, audit.AuditEntry] = field(default_factory=dict)
    records: dict[int, _Record] = field(default_factory=dict)

    def add(self, entry: audit.AuditEntry) -> None:
        if entry.object == "consent" and entry.object_id is not None:
            self.consents[int(entry.object_id)] = entry
        elif entry.object == "record":
            self._record(entry)
        elif entry.object == "subject" and entry.action == "anonymise":
            self._anonymise(entry)

    def _anonymise(self, entry: audit.AuditEntry) -> None:
        """Kept records lose their subject; the subject's other records are erased."""
        kept = set(entry.detail().get("records", []))
        subject = int(entry.object_id or 0)
        for record_id, record in self.records.items():
            if record.subject == subject and record.tenant == entry.tenant:
                if record_id in kept:
                    record.subject, record.anonymous = None, True
                else:
                    record.deleted = True

    def _record(self, entry: audit.AuditEntry) -> None:
        details = entry.detail()
        if entry.action == "add" and entry.object_id is not None:
            self.records[int(entry.object_id)] = _Record(
                entry.tenant,
                details.get("subject"),
                details.get("category", ""),
                details.get("collection_point"),
                tuple(sorted(details.get("purposes", []))),
            )
        elif entry.action == "delete":
            for record_id in details.get("records", []):
                if record_id in self.records:
                    self.records[record_id].deleted = True


def _check_consent_events(
    result: audit.Verification, connection: sa.Connection, seen: _Entries
) -> None:
    found: set[int] = set()
    for row in connection.execute(sa.select(consent_events).order_by(consent_events.c.id)):
        found.add(row.id)
        where = f"consent event {row.id}"
        entry = seen.consents.get(row.id)
        if entry is None:
            result.found(where, "has no audit entry (inserted behind keepfaith's back)")
            continue
        details = entry.detail()
        stored = {
            "tenant": row.tenant,
            "subject": row.subject_id,
            "choice": row.choice,
            "kind": row.kind,
            "method": row.method,
            "counts": bool(row.counts),
        }
        recorded = {
            "tenant": entry.tenant,
            "subject": details.get("subject"),
            "choice": details.get("choice"),
            "kind": entry.action,
            "method": details.get("method"),
            "counts": details.get("counts"),
        }
        if "at" in details:  # entries from before the time was recorded lack it
            stored["at"] = audit.timestamp(utc(row.at))
            recorded["at"] = details["at"]
        differ = sorted(key for key in stored if stored[key] != recorded[key])
        if differ:
            result.found(where, f"disagrees with entry {entry.position} on {', '.join(differ)}")
    for event_id in sorted(set(seen.consents) - found):
        entry = seen.consents[event_id]
        result.found(
            f"consent event {event_id}", f"is gone, though entry {entry.position} records it"
        )


def _check_consent_state(
    result: audit.Verification, connection: sa.Connection, seen: _Entries
) -> None:
    # The latest counting event wins; of two at the same time, the later written.
    latest: dict[tuple[int, str], tuple[tuple[str, int], str]] = {}
    for entry in seen.consents.values():
        details = entry.detail()
        if not details.get("counts"):
            continue
        key = (int(details["subject"]), str(details["choice"]))
        order = (str(details.get("at", entry.at)), entry.position)
        state = "withdrawn" if entry.action == "withdrawn" else "given"
        if key not in latest or latest[key][0] <= order:
            latest[key] = (order, state)
    expected = {key: state for key, (_, state) in latest.items()}
    stored = {
        (row.subject_id, row.choice): row.state
        for row in connection.execute(sa.select(consent_state))
    }
    for key in sorted(set(expected) | set(stored)):
        subject, choice = key
        where = f"consent state of subject {subject} for {choice}"
        want = expected.get(key)
        have = stored.get(key)
        if want != have:
            result.found(
                where,
                f"is {have or 'absent'}, but the audit entries say {want or 'no consent event'}",
            )


def _check_records(result: audit.Verification, connection: sa.Connection, seen: _Entries) -> None:
    purposes: dict[int, list[str]] = {}
    for record_id, purpose in connection.execute(
        sa.select(collected_for.c.record_id, collected_for.c.purpose)
    ):
        if purpose:
            purposes.setdefault(record_id, []).append(purpose)
    query = sa.select(
        records.c.id,
        records.c.tenant,
        records.c.subject_id,
        records.c.category,
        records.c.collection_point,
        records.c.anonymous,
    ).order_by(records.c.id)
    found: set[int] = set()
    for row in connection.execute(query):
        found.add(row.id)
        where = f"record {row.id}"
        expected = seen.records.get(row.id)
        if expected is None:
            result.found(where, "has no audit entry (inserted behind keepfaith's back)")
            continue
        if expected.deleted:
            result.found(where, "is still there, though an audit entry deleted it")
            continue
        stored = {
            "tenant": row.tenant,
            "subject": row.subject_id,
            "category": row.category,
            "collection point": row.collection_point,
            "purposes": tuple(sorted(purposes.get(row.id, []))),
            "anonymous": bool(row.anonymous),
        }
        recorded = {
            "tenant": expected.tenant,
            "subject": expected.subject,
            "category": expected.category,
            "collection point": expected.collection_point,
            "purposes": expected.purposes,
            "anonymous": expected.anonymous,
        }
        differ = sorted(key for key in stored if stored[key] != recorded[key])
        if differ:
            result.found(where, f"disagrees with its audit entries on {', '.join(differ)}")
    for record_id in sorted(set(seen.records) - found):
        if not seen.records[record_id].deleted:
            result.found(f"record {record_id}", "is gone, though no audit entry deleted it")
