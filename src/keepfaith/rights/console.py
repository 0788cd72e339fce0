"""What the staff console reads: people found by address or reference, a person's file,
the consent log and its rates over time. Every read of personal data is audited.

Staff find a person by email, phone or their own reference; addresses are matched by
keyed digest (``keepfaith.ledger.lookups``), never by reading every stored address, and
the audit records what was searched by and how many were found, never the value. A
person's file brings their records, consents, disclosures, requests and audit story
together in one read, and records that it was opened, and by whom.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

from keepfaith.exceptions import InvalidSubmission, NotFound
from keepfaith.ledger import (
    AuditEntry,
    ConsentEvent,
    Disclosure,
    Ledger,
    Record,
    Subject,
    audit,
    consents,
    disclosures,
    lookups,
    records,
    subjects,
)
from keepfaith.ledger.cases import Case, of_person
from keepfaith.rights.overview import digests

SEARCH_BY = ("email", "phone", "reference")
LOG_LIMIT = 200
CSV_LIMIT = 100_000
"""Rows one CSV export carries at most (newest first)."""
CSV_COLUMNS = (
    "event",
    "at",
    "subject",
    "choice",
    "kind",
    "method",
    "counts",
    "statement_version",
)


@dataclass(frozen=True)
class SubjectFile:
    """Everything staff see about one person."""

    subject: Subject
    records: list[Record]
    consents: list[ConsentEvent]
    disclosures: list[Disclosure]
    requests: list[Case]
    story: list[AuditEntry]


@dataclass(frozen=True)
class LogFilter:
    """What the consent log is narrowed to; every field optional."""

    choice: str | None = None
    kind: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    """The last day shown (inclusive)."""

    def bounds(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        start = dt.datetime.combine(self.since, dt.time(), dt.UTC) if self.since else None
        end = (
            dt.datetime.combine(self.until + dt.timedelta(days=1), dt.time(), dt.UTC)
            if self.until
            else None
        )
        return start, end


@dataclass(frozen=True)
class Rate:
    """Counting consent events of one choice in one month."""

    month: str
    given: int
    withdrawn: int

    @property
    def rate(self) -> float:
        """The share of the month's decisions that gave consent (0 to 1)."""
        total = self.given + self.withdrawn
        return self.given / total if total else 0.0


@dataclass(frozen=True)
class Rates:
    months: list[str] = field(default_factory=list)
    by_choice: dict[str, list[Rate]] = field(default_factory=dict)


def search(ledger: Ledger, tenant: str, by: str, query: str, *, actor: str) -> list[Subject]:
    """The tenant's people whose ``by`` (email, phone or reference) is ``query``."""
    if by not in SEARCH_BY:
        raise InvalidSubmission({"by": f"must be one of {', '.join(SEARCH_BY)}"})
    text = query.strip()
    if not text or len(text) > 320:
        raise InvalidSubmission({"q": "give an address, a number or a reference (320 at most)"})
    with ledger.transaction(actor=actor) as tx:
        if by == "reference":
            try:
                found = [subjects.by_reference(tx, tenant, text)]
            except NotFound:
                found = []
        else:
            ids = lookups.find(tx, tenant, by, text)
            found = [subjects.get(tx, tenant, subject_id) for subject_id in ids]
        tx.audit(
            "search_subjects",
            "tenant",
            None,
            tenant=tenant,
            details={"by": by, "found": len(found)},
        )
    return found


def subject_file(
    ledger: Ledger, tenant: str, subject_id: int, *, actor: str, secret_key: str
) -> SubjectFile:
    """A person's file; ``NotFound`` in another tenant. Opening it is audited."""
    with ledger.transaction(actor=actor) as tx:
        subject = subjects.get(tx, tenant, subject_id)
        held = records.of(tx, subject)
        story = audit.of_object(tx.connection, tenant, "subject", str(subject.id))
        found = SubjectFile(
            subject=subject,
            records=held,
            consents=consents.history(tx, subject),
            disclosures=disclosures.of(tx, tenant, subject),
            requests=of_person(tx, tenant, subject.id, digests(secret_key, held)),
            story=story,
        )
        tx.audit("view_subject", "subject", subject.id, tenant=tenant)
    return found


def consent_log(
    ledger: Ledger,
    tenant: str,
    wanted: LogFilter,
    *,
    actor: str,
    before_id: int | None = None,
    limit: int = LOG_LIMIT,
) -> list[ConsentEvent]:
    """The tenant's consent events, newest first, narrowed by ``wanted``."""
    since, until = wanted.bounds()
    with ledger.transaction(actor=actor) as tx:
        events = consents.log(
            tx,
            tenant,
            choice=wanted.choice,
            kind=wanted.kind,
            since=since,
            until=until,
            before_id=before_id,
            limit=limit,
        )
        tx.audit("read_consent_log", "tenant", None, tenant=tenant, details={"rows": len(events)})
    return events


def consent_csv(ledger: Ledger, tenant: str, wanted: LogFilter, *, actor: str) -> str:
    """The consent log as CSV (one row per event, the columns of ``CSV_COLUMNS``)."""
    since, until = wanted.bounds()
    with ledger.transaction(actor=actor) as tx:
        events = consents.log(
            tx,
            tenant,
            choice=wanted.choice,
            kind=wanted.kind,
            since=since,
            until=until,
            limit=CSV_LIMIT,
        )
        tx.audit("export_consent_log", "tenant", None, tenant=tenant, details={"rows": len(events)})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for e in events:
        writer.writerow(
            [
                e.id,
                e.at.isoformat(),
                e.subject_id,
                _cell(e.choice),
                e.kind,
                e.method,
                e.counts,
                e.statement_version,
            ]
        )
    return out.getvalue()


def _cell(text: str) -> str:
    """A value no spreadsheet runs as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def consent_rates(ledger: Ledger, tenant: str, since: dt.datetime | None = None) -> Rates:
    """Given and withdrawn per choice and month, for the console's chart."""
    with ledger.reading() as tx:
        rows = consents.monthly(tx, tenant, since)
    months = sorted({month for month, _, _, _ in rows})
    counts: dict[str, dict[str, list[int]]] = {}
    for month, choice, kind, n in rows:
        cell = counts.setdefault(choice, {}).setdefault(month, [0, 0])
        cell[0 if kind == "given" else 1] += n
    by_choice = {
        choice: [Rate(m, *per_month.get(m, [0, 0])) for m in months]
        for choice, per_month in sorted(counts.items())
    }
    return Rates(months, by_choice)
