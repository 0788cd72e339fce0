"""Reviewed maps in the ledger, and the staff's review of a proposal, over a ``tx``.

A scan's proposal is stored as it came (every column unreviewed); staff then accept a
column as proposed, change it, or mark it not personal, and each review marks the column
``reviewed`` so a later re-scan leaves it alone (``scan.merge``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from pydantic import ValidationError

from keepfaith.connectors.datamap import Column, DatasetMap, Erasure, parse
from keepfaith.connectors.scan import ScanResult, scan
from keepfaith.exceptions import InvalidSubmission, NotFound
from keepfaith.ledger import dataset_maps

if TYPE_CHECKING:
    from keepfaith.ledger.transaction import Transaction
    from keepfaith.settings import Settings


class Review(StrEnum):
    ACCEPT = "accept"
    CHANGE = "change"
    NOT_PERSONAL = "not_personal"


def stored(tx: Transaction, tenant: str, key: str) -> DatasetMap | None:
    document = dataset_maps.load(tx, tenant, key)
    return None if document is None else parse(document, f"stored map {key}")


def keys(tx: Transaction, tenant: str) -> list[str]:
    return dataset_maps.keys(tx, tenant)


def store(tx: Transaction, tenant: str, dataset_map: DatasetMap, changed: list[str]) -> None:
    dataset_maps.save(tx, tenant, dataset_map.key, dataset_map.to_dict(), changed)


def url_of(settings: Settings, key: str) -> str:
    """The connection URL the settings give for a map key (never shown or stored)."""
    secret = settings.connectors.get(key)
    if secret is None:
        raise NotFound(f"no database {key!r} in the connectors setting")
    return secret.get_secret_value()


def rescan(tx: Transaction, tenant: str, key: str, settings: Settings) -> ScanResult:
    """Scan the configured database again against its stored map and store the result;
    reviewed columns stay as they are and only the difference is proposed."""
    result = scan(
        url_of(settings, key),
        key,
        sample_size=settings.scan_sample_size,
        reviewed=stored(tx, tenant, key),
    )
    store(tx, tenant, result.map, [str(change) for change in result.changes])
    return result


def review(
    tx: Transaction,
    tenant: str,
    key: str,
    table: str,
    column: str,
    action: Review,
    *,
    categories: tuple[str, ...] = (),
    identity: str | None = None,
    erasure: Erasure | None = None,
) -> Column:
    """Accept, change or mark not personal one column of a stored map."""
    dataset_map = stored(tx, tenant, key)
    if dataset_map is None:
        raise NotFound(f"no dataset map {key!r}")
    found = dataset_map.table(table)
    before = found.column(column) if found else None
    if found is None or before is None:
        raise NotFound(f"no column {table}.{column} in dataset map {key!r}")
    update: dict[str, object] = {"reviewed": True, "confidence": None}
    if action is Review.NOT_PERSONAL:
        update.update(categories=(), identity=None, erasure=Erasure.KEEP)
    elif action is Review.CHANGE:
        update.update(categories=categories, identity=identity or None)
        update["erasure"] = erasure or before.erasure
    try:
        after = Column.model_validate({**before.model_dump(), **update})
    except ValidationError as error:
        problem = error.errors(include_input=False)[0]
        raise InvalidSubmission(
            {"categories": problem["msg"].removeprefix("Value error, ")}
        ) from None
    store(
        tx, tenant, dataset_map.replace_column(table, after), [f"{action.value}: {table}.{column}"]
    )
    return after
