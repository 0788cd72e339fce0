"""The copy a person gets: a zip with JSON and CSV per table and a readable summary.

The summary names, for each category found, the purposes the statement states for it,
where it came from (the collection points that gather it, ES-12) and how long the
statement says it is kept. The zip is built in memory when the person downloads it (a
signed, expiring link), so no second copy of their data rests anywhere.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from typing import Any

from jinja2 import Environment, select_autoescape

from keepfaith.connectors.datamap import DatasetMap
from keepfaith.ledger import Disclosure
from keepfaith.statement import Statement

Found = Mapping[str, tuple[DatasetMap, Mapping[str, list[dict[str, Any]]]]]
"""By system: its map, and the person's rows by table."""

SUMMARY = Environment(autoescape=select_autoescape(default=True)).from_string(
    """<!doctype html><html lang="en"><meta charset="utf-8">
<title>Your data at {{ organisation }}</title>
<h1>Your data at {{ organisation }}</h1>
<p>Prepared {{ when }}. Each table is in this archive as JSON and as CSV.</p>
<table><thead><tr><th>Category</th><th>Where</th><th>Rows</th><th>Purpose</th>
<th>Source</th><th>Kept</th></tr></thead><tbody>
{% for row in rows %}<tr><td>{{ row.category }}</td><td>{{ row.where }}</td>
<td>{{ row.count }}</td><td>{{ row.purposes }}</td><td>{{ row.sources }}</td>
<td>{{ row.retention }}</td></tr>
{% endfor %}</tbody></table></html>
"""
)


def build(
    statement: Statement,
    found: Found,
    now: dt.datetime,
    disclosed: Sequence[Disclosure] = (),
) -> bytes:
    """The zip: ``<system>/<table>.json`` and ``.csv`` for each table with rows,
    ``disclosures.json`` and ``.csv`` (who received the person's data: keepfaith's own
    log), and ``summary.html``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        if disclosed:
            log = [_disclosure(d) for d in disclosed]
            archive.writestr("disclosures.json", json.dumps(log))
            archive.writestr("disclosures.csv", _csv(log))
        for system, (_, tables) in sorted(found.items()):
            for table, rows in sorted(tables.items()):
                if rows:
                    archive.writestr(f"{system}/{table}.json", json.dumps(rows, default=_json))
                    archive.writestr(f"{system}/{table}.csv", _csv(rows))
        archive.writestr("summary.html", summary(statement, found, now))
    return out.getvalue()


def summary(statement: Statement, found: Found, now: dt.datetime) -> str:
    rows = []
    described: dict[str, dict[str, str]] = {}  # a category's purposes, sources, retention
    for system, (dataset_map, tables) in sorted(found.items()):
        for table, column in dataset_map.columns():
            count = len(tables.get(table.name, ()))
            for category in column.categories:
                if count and not category.startswith("system."):
                    if category not in described:
                        described[category] = _described(statement, category)
                    where = f"{system}.{table.name}"
                    rows.append(
                        {
                            "category": category,
                            "where": where,
                            "count": count,
                            **described[category],
                        }
                    )
    unique = {(r["category"], r["where"]): r for r in rows}
    return SUMMARY.render(
        organisation=statement.organisation.name,
        when=f"{now:%Y-%m-%d}",
        rows=[unique[key] for key in sorted(unique)],
    )


def _described(statement: Statement, category: str) -> dict[str, str]:
    """What the statement says of a category: the purposes, sources and retention."""
    return {
        "purposes": ", ".join(p.name for p in statement.purposes if _covers(p.categories, category))
        or "not stated",
        "sources": ", ".join(
            point.source or point.name
            for point in statement.collection_points
            if any(_covers((f.category,), category) for f in point.fields)
        )
        or "not stated",
        "retention": "; ".join(
            _retention(rule) for rule in statement.retention if _covers(rule.categories, category)
        )
        or "not stated",
    }


def _covers(keys: tuple[str, ...], category: str) -> bool:
    return any(
        category == k or category.startswith(k + ".") or k.startswith(category + ".") for k in keys
    )


def _retention(rule: Any) -> str:
    if rule.description:
        return str(rule.description)
    if rule.days is None:
        return f"until {rule.after.value.replace('_', ' ')}"
    return f"{rule.days} days after {rule.after.value.replace('_', ' ')}"


def _csv(rows: list[dict[str, Any]]) -> str:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]))
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                k: _json(v) if not isinstance(v, str | int | float | None) else v
                for k, v in row.items()
            }
        )
    return text.getvalue()


def _json(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return str(value)


def _disclosure(entry: Disclosure) -> dict[str, Any]:
    """One disclosure as the person reads it (no other person's data, no internal ids)."""
    return {
        "at": entry.at.isoformat(),
        "recipient": entry.recipient,
        "categories": list(entry.categories),
        "purpose": entry.purpose,
        "basis": entry.basis,
        "country": entry.country,
        "mechanism": entry.mechanism,
        "reference": entry.reference,
    }
