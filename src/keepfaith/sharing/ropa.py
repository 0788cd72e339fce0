"""Records of processing (GDPR Article 30), from the statement and the disclosure log.

One row per purpose: its basis, the kinds of people and the categories of data it uses,
the recipients that receive data for it, the transfers abroad with their mechanisms,
how long the data is kept and the security measures; with how many disclosures the log
holds for each recipient. ``csv_text`` and ``html_text`` give the register to auditors.
"""

from __future__ import annotations

import csv
import html
import io
from dataclasses import dataclass

from keepfaith.ledger import Ledger, disclosures, statements
from keepfaith.statement import Statement
from keepfaith.statement.schema import Purpose, Recipient

COLUMNS = (
    "purpose",
    "basis",
    "data subjects",
    "data categories",
    "recipients",
    "transfers",
    "retention",
    "security",
    "disclosures logged",
)


@dataclass(frozen=True)
class Row:
    purpose: str
    basis: str
    subjects: tuple[str, ...]
    categories: tuple[str, ...]
    recipients: tuple[str, ...]
    transfers: tuple[str, ...]
    retention: tuple[str, ...]
    security: tuple[str, ...]
    logged: int

    def cells(self) -> list[str]:
        joined = (
            self.subjects,
            self.categories,
            self.recipients,
            self.transfers,
            self.retention,
            self.security,
        )
        return [self.purpose, self.basis, *("; ".join(c) for c in joined), str(self.logged)]


@dataclass(frozen=True)
class Register:
    organisation: str
    contact: str
    version: str
    rows: tuple[Row, ...]


def register(ledger: Ledger, tenant: str) -> Register:
    """The tenant's register, under its current statement, counting its disclosure log."""
    with ledger.reading(actor="staff") as tx:
        statement = statements.get(tx, tenant)
        counts: dict[str, int] = {}
        for entry in disclosures.of(tx, tenant):
            key = entry.purpose or ""
            counts[key] = counts.get(key, 0) + 1
    contact = statement.organisation.contacts[0]
    rows = tuple(_row(statement, p, counts.get(p.id, 0)) for p in statement.purposes)
    return Register(
        statement.organisation.name,
        contact.email or contact.role,
        statement.version,
        rows,
    )


def csv_text(found: Register) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in found.rows:
        writer.writerow([_safe_cell(c) for c in row.cells()])
    return out.getvalue()


def html_text(found: Register) -> str:
    """A standalone HTML page of the register (for the CLI; the admin page has its own)."""
    head = "".join(f"<th scope='col'>{html.escape(c)}</th>" for c in COLUMNS)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row.cells()) + "</tr>"
        for row in found.rows
    )
    title = html.escape(f"Records of processing: {found.organisation}")
    return (
        f"<!doctype html><html lang='en'><meta charset='utf-8'><title>{title}</title>"
        f"<h1>{title}</h1><p>Controller contact: {html.escape(found.contact)}. "
        f"Statement version {html.escape(found.version)}.</p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></html>\n"
    )


def _row(statement: Statement, purpose: Purpose, logged: int) -> Row:
    receiving = [r for r in statement.recipients if _receives(r, purpose)]
    subjects = {
        kind
        for point in statement.collection_points
        if purpose.id in point.purposes
        for kind in point.subjects
    }
    return Row(
        purpose=f"{purpose.name} ({purpose.id})",
        basis=purpose.basis.value,
        subjects=tuple(sorted(subjects)),
        categories=tuple(purpose.categories),
        recipients=tuple(f"{r.name} ({r.kind.value})" for r in receiving),
        transfers=_transfers(statement, receiving),
        retention=_retention(statement, purpose),
        security=tuple(statement.security.measures),
        logged=logged,
    )


def _receives(recipient: Recipient, purpose: Purpose) -> bool:
    if recipient.purposes:
        return purpose.id in recipient.purposes
    return bool(set(recipient.categories) & set(purpose.categories))


def _transfers(statement: Statement, receiving: list[Recipient]) -> tuple[str, ...]:
    found = []
    transfers = statement.transfers
    for r in receiving:
        for country in r.countries:
            mechanism = r.mechanism.value if r.mechanism else (transfers and transfers.mechanism)
            found.append(f"{r.id} to {country}" + (f" under {mechanism}" if mechanism else ""))
    if transfers is not None:
        for country in transfers.countries:
            found.append(
                f"to {country}" + (f" under {transfers.mechanism}" if transfers.mechanism else "")
            )
        for flow in transfers.flows:
            named = flow.framework or flow.mechanism.value
            found.append(f"to {', '.join(flow.to)} under {named}")
    return tuple(dict.fromkeys(found))


def _retention(statement: Statement, purpose: Purpose) -> tuple[str, ...]:
    found = []
    for rule in statement.retention:
        if rule.recipient is not None or not set(rule.categories) & set(purpose.categories):
            continue
        if rule.days is None and rule.hours is None:
            period = "until"
        else:
            period = f"{rule.days or 0} days{f' {rule.hours} hours' if rule.hours else ''} after"
        found.append(f"{', '.join(rule.categories)}: {period} {rule.after.value}")
    return tuple(found) or ("as long as the purpose needs (no period declared)",)


def _safe_cell(value: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
