"""Fides dataset YAML in and out, so a team that has a Fides map brings it along.

The format is Fides' own (``dataset: [{fides_key, collections: [{name, fields: [{name,
data_categories, fides_meta: {identity, primary_key, references, read_only,
masking_strategy_override}}]}]}]``), read and written through the fideslang package's
models, so what Fides accepts is what keepfaith accepts. A table is a collection and a
column a field. A field whose only categories are ``system.*`` is not personal; one that
is not personal is exported as ``system.operations``, as Fides' own examples do.

Erasure strategies map onto Fides' masking strategies: ``null`` to ``null_rewrite``,
``mask`` to ``string_rewrite``, ``hash`` to ``hash``, ``keep`` of a personal field to
``read_only``, and ``delete_row`` to the collection's ``delete`` strategy.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from keepfaith.connectors.datamap import Column, DatasetMap, Erasure, Reference, Table, parse
from keepfaith.connectors.graph import Edge, reach
from keepfaith.connectors.taxonomy import NOT_PERSONAL, is_personal
from keepfaith.exceptions import InvalidSubmission

TO_FIDES = {Erasure.NULL: "null_rewrite", Erasure.MASK: "string_rewrite", Erasure.HASH: "hash"}
FROM_FIDES = {
    "null_rewrite": Erasure.NULL,
    "string_rewrite": Erasure.MASK,
    "random_string_rewrite": Erasure.MASK,
    "hash": Erasure.HASH,
    "aes_encrypt": Erasure.HASH,
    "hmac": Erasure.HASH,
}


def read(path: Path) -> list[DatasetMap]:
    """Every dataset of a Fides YAML file, as keepfaith maps."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidSubmission(
            {str(path): f"cannot be read ({error.__class__.__name__})"}
        ) from None
    return loads(text, str(path))


def loads(text: str, source: str = "<fides>") -> list[DatasetMap]:
    """Every dataset of Fides YAML text, checked by fideslang's models, as keepfaith maps."""
    from fideslang.models import Dataset
    from pydantic import ValidationError

    try:
        document = YAML(typ="safe").load(text)
    except YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise InvalidSubmission({where: "is not valid YAML"}) from None
    if not isinstance(document, dict) or not isinstance(document.get("dataset"), list):
        raise InvalidSubmission({source: "a Fides dataset file has a top-level 'dataset' list"})
    maps = []
    for index, entry in enumerate(document["dataset"]):
        try:
            dataset = Dataset.model_validate(entry)
        except ValidationError as error:
            first = error.errors(include_input=False)[0]
            path = ".".join(str(part) for part in first.get("loc", ()))
            raise InvalidSubmission({f"{source}: dataset[{index}].{path}": first["msg"]}) from None
        maps.append(_from_dataset(dataset, source))
    return maps


def _from_dataset(dataset: Any, source: str) -> DatasetMap:
    tables = []
    for collection in dataset.collections:
        delete_rows = _collection_strategy(collection) == "delete"
        columns = []
        for field in collection.fields:
            if field.fields:
                raise InvalidSubmission(
                    {
                        f"{source}: {collection.name}.{field.name}": "nested fields describe "
                        "documents; keepfaith's connectors read tables of columns"
                    }
                )
            columns.append(_column(dataset.fides_key, field, delete_rows))
        tables.append(
            {"name": collection.name, "description": collection.description, "columns": columns}
        )
    document = {
        "key": dataset.fides_key,
        "name": dataset.name,
        "description": dataset.description,
        "tables": tables,
    }
    return parse(document, source)


def _collection_strategy(collection: Any) -> str | None:
    meta = collection.fides_meta
    override = meta.masking_strategy_override if meta else None
    return str(override.strategy.value) if override else None


def _column(dataset_key: str, field: Any, delete_rows: bool) -> dict[str, Any]:
    """A map column's document (checked by ``parse`` with the rest of the map)."""
    meta = field.fides_meta
    categories = tuple(field.data_categories or ())
    if all(not is_personal(c) for c in categories):
        categories = tuple(c for c in categories if c != NOT_PERSONAL)
    references = None
    if meta and meta.references:
        references = [
            _reference(dataset_key, ref).model_dump(exclude_none=True) for ref in meta.references
        ]
    personal = any(is_personal(c) for c in categories)
    erasure = Erasure.KEEP
    if personal and not (meta and meta.read_only) and not (meta and meta.primary_key):
        override = meta.masking_strategy_override if meta else None
        if delete_rows:
            erasure = Erasure.DELETE_ROW
        elif override is not None:
            erasure = FROM_FIDES.get(override.strategy, Erasure.MASK)
        else:
            erasure = Erasure.NULL  # Fides' default masking strategy is null_rewrite
    return {
        "name": field.name,
        "categories": list(categories),
        "identity": meta.identity if meta else None,
        "erasure": erasure.value,
        "references": references,
        "primary_key": bool(meta and meta.primary_key),
        "reviewed": True,  # a map someone wrote by hand has been looked at
    }


def _reference(dataset_key: str, reference: Any) -> Reference:
    table, _, column = reference.field.partition(".")
    if reference.dataset != dataset_key:
        raise InvalidSubmission(
            {
                reference.field: f"refers to another dataset ({reference.dataset}); keepfaith "
                "joins the tables of one database"
            }
        )
    direction = reference.direction.value if reference.direction else None
    return Reference(table=table, column=column, direction=direction)


# ---------------------------------------------------------------------------- export


def dumps(maps: list[DatasetMap], edges: dict[str, list[Edge]] | None = None) -> str:
    """Fides dataset YAML for the maps; ``edges`` (by map key) adds their joins as
    ``references`` with the direction a walk from the identity columns takes them."""
    from fideslang.models import Dataset

    datasets = []
    for dataset_map in maps:
        document = _to_dataset(dataset_map, (edges or {}).get(dataset_map.key, []))
        Dataset.model_validate(document)  # what we write, Fides must read
        datasets.append(document)
    out = io.StringIO()
    yaml = YAML()
    yaml.default_flow_style = False
    yaml.dump({"dataset": datasets}, out)
    return out.getvalue()


def _to_dataset(dataset_map: DatasetMap, edges: list[Edge]) -> dict[str, Any]:
    steps = {step.table: step for step in reach(dataset_map, edges)}
    collections = []
    for table in dataset_map.tables:
        fields = [_field(dataset_map.key, table, column, edges, steps) for column in table.columns]
        collection: dict[str, Any] = {"name": table.name}
        if table.description:
            collection["description"] = table.description
        collection["fields"] = fields
        if any(c.erasure is Erasure.DELETE_ROW for c in table.columns):
            collection["fides_meta"] = {"masking_strategy_override": {"strategy": "delete"}}
        collections.append(collection)
    dataset: dict[str, Any] = {"fides_key": dataset_map.key}
    if dataset_map.name:
        dataset["name"] = dataset_map.name
    if dataset_map.description:
        dataset["description"] = dataset_map.description
    dataset["collections"] = collections
    return dataset


def _field(
    key: str, table: Table, column: Column, edges: list[Edge], steps: dict[str, Any]
) -> dict[str, Any]:
    field: dict[str, Any] = {
        "name": column.name,
        "data_categories": list(column.categories) or [NOT_PERSONAL],
    }
    meta: dict[str, Any] = {}
    if column.identity:
        meta["identity"] = column.identity
    if column.primary_key:
        meta["primary_key"] = True
    references = [
        _fides_reference(key, table.name, column.name, edge, steps)
        for edge in edges
        if (edge.child, edge.child_column) == (table.name, column.name)
    ]
    if references:
        meta["references"] = references
    if column.personal and column.erasure is Erasure.KEEP and not column.primary_key:
        meta["read_only"] = True
    elif column.erasure in TO_FIDES:
        meta["masking_strategy_override"] = {"strategy": TO_FIDES[column.erasure]}
    if meta:
        field["fides_meta"] = meta
    return field


def _fides_reference(
    key: str, table: str, column: str, edge: Edge, steps: dict[str, Any]
) -> dict[str, Any]:
    """A child column's join to its parent: ``from`` when the walk reaches the parent first
    (the person's rows lead to these), ``to`` when it reaches this table first."""
    parent, child = steps.get(edge.parent), steps.get(table)
    reference: dict[str, Any] = {"dataset": key, "field": f"{edge.parent}.{edge.parent_column}"}
    if parent is not None and (child is None or parent.depth < child.depth):
        reference["direction"] = "from"
    elif child is not None:
        reference["direction"] = "to"
    return reference
