"""The dataset map: which table and column of a company database holds which category.

One map describes one database (a "system"). For each table and column it says the
fideslang data category held there (none: not personal), whether the column identifies
a person (``identity``: an email, a phone number, a customer id), how to erase it, and,
where the database's own foreign keys are not the whole truth, which columns it joins
(``references``). The scanner proposes a map, staff review it, the connectors read it.

The map never holds a connection URL or a secret: the database it describes is named by
``key``, and ``Settings.connectors`` maps that key to a URL.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from keepfaith.connectors.taxonomy import is_category, is_personal, is_sensitive
from keepfaith.exceptions import InvalidSubmission

MapKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$", max_length=128)]
"""A map's key, also its Fides ``fides_key``."""
IdentityKind = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=255)]


class Erasure(StrEnum):
    """What erasing a person does to a column's value."""

    DELETE_ROW = "delete_row"
    """Delete the whole row (the row is the person's and nothing else needs it)."""
    NULL = "null"
    """Set the value to NULL."""
    MASK = "mask"
    """Overwrite it with a fixed value of its type (for NOT NULL columns)."""
    HASH = "hash"
    """Replace it with a keyed hash: still matches the same person, no longer reads as them."""
    KEEP = "keep"
    """Leave it: not personal, a key other rows need, or kept by law."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Reference(Strict):
    """A join from this column to ``table.column`` that the map declares."""

    table: Name
    column: Name
    direction: str | None = Field(default=None, pattern=r"^(to|from)$")
    """Fides' ``to`` (follow from here) or ``from`` (follow towards here); none: both."""


class Column(Strict):
    """One column: what it holds, whether it identifies a person, how it is erased."""

    name: Name
    categories: tuple[str, ...] = ()
    """fideslang keys; empty (or only ``system.*``) means not personal."""
    identity: IdentityKind | None = None
    """This column finds a person by this kind of identity (``email``, ``phone_number``,
    ``customer_id``): a rights request starts here."""
    erasure: Erasure = Erasure.KEEP
    references: tuple[Reference, ...] | None = None
    """None: the database's foreign keys from this column. A tuple replaces them (an empty
    tuple removes them; extra entries add joins the database does not declare)."""
    primary_key: bool = False
    reviewed: bool = False
    """Staff accepted, changed or marked this column; a re-scan leaves it alone."""
    confidence: float | None = Field(default=None, ge=0, le=1)
    """The scanner's confidence in ``categories`` (none once reviewed by hand)."""
    evidence: tuple[str, ...] = ()
    """Why the scanner proposed it, in words that never quote a sampled value."""

    @model_validator(mode="after")
    def _known_categories(self) -> Column:
        unknown = [key for key in self.categories if not is_category(key)]
        if unknown:
            raise ValueError(f"not a fideslang data category: {', '.join(unknown)}")
        if self.identity is not None and not self.personal:
            raise ValueError("an identity column must hold a personal category")
        return self

    @property
    def personal(self) -> bool:
        return any(is_personal(key) for key in self.categories)

    @property
    def sensitive(self) -> bool:
        return any(is_sensitive(key) for key in self.categories)


class Table(Strict):
    name: Name
    description: str | None = None
    columns: tuple[Column, ...] = ()
    retention_column: Name | None = None
    """The column holding each row's start time for retention (when it was collected):
    a row older than its categories' retention period is erased by the daily job."""

    @model_validator(mode="after")
    def _unique_columns(self) -> Table:
        names = [column.name for column in self.columns]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"column listed twice: {', '.join(twice)}")
        if self.retention_column is not None and self.retention_column not in names:
            raise ValueError(f"retention_column is not a column of the table: {self.name}")
        return self

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def personal(self) -> bool:
        return any(column.personal for column in self.columns)


class DatasetMap(Strict):
    """The map of one database."""

    key: MapKey
    name: str | None = None
    description: str | None = None
    tables: tuple[Table, ...] = ()

    @model_validator(mode="after")
    def _unique_tables(self) -> DatasetMap:
        names = [table.name for table in self.tables]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"table listed twice: {', '.join(twice)}")
        return self

    def table(self, name: str) -> Table | None:
        return next((t for t in self.tables if t.name == name), None)

    def columns(self) -> Iterator[tuple[Table, Column]]:
        for table in self.tables:
            for column in table.columns:
                yield table, column

    def identities(self) -> list[tuple[str, str, str]]:
        """``(table, column, identity kind)`` of every column that identifies a person."""
        return [(t.name, c.name, c.identity) for t, c in self.columns() if c.identity]

    def categories(self) -> set[str]:
        """Every personal category the database holds, by this map."""
        return {key for _, c in self.columns() for key in c.categories if is_personal(key)}

    def replace_column(self, table: str, column: Column) -> DatasetMap:
        """A copy with ``table.column`` replaced (``NotFound``-free: the caller checked)."""
        tables = tuple(
            t.model_copy(
                update={"columns": tuple(column if c.name == column.name else c for c in t.columns)}
            )
            if t.name == table
            else t
            for t in self.tables
        )
        return self.model_copy(update={"tables": tables})

    def to_dict(self) -> dict[str, Any]:
        """The map as plain data (for YAML or JSON), leaving out what is at its default."""
        return self.model_dump(mode="json", exclude_defaults=True)


def parse(document: Any, source: str = "the map") -> DatasetMap:
    """A map from plain data; refused field by field (``InvalidSubmission``) when wrong."""
    try:
        return DatasetMap.model_validate(document)
    except ValidationError as error:
        raise InvalidSubmission(_problems(error, document, source)) from None


def _problems(error: ValidationError, document: Any, source: str) -> dict[str, str]:
    """Each problem by its path in the map, tables and columns named rather than numbered."""
    found: dict[str, str] = {}
    for problem in error.errors(include_input=False):
        path = _readable(problem.get("loc", ()), document)
        found.setdefault(f"{source}: {path}" if path else source, problem["msg"])
    return found


def _readable(location: tuple[Any, ...], document: Any) -> str:
    parts: list[str] = []
    node = document
    for step in location:
        if isinstance(step, int) and isinstance(node, list | tuple):
            item = node[step] if step < len(node) else None
            name = item.get("name") if isinstance(item, dict) else None
            parts[-1:] = (
                [f"{parts[-1]}[{name if isinstance(name, str) else step}]"] if parts else []
            )
            node = item
        else:
            parts.append(str(step))
            node = node.get(step) if isinstance(node, dict) else None
    return ".".join(parts)


def read(path: Any) -> DatasetMap:
    """A map from its YAML file (as ``dump`` writes it)."""
    from pathlib import Path

    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    file = Path(path)
    try:
        document = YAML(typ="safe").load(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidSubmission(
            {str(file): f"cannot be read ({error.__class__.__name__})"}
        ) from None
    except YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise InvalidSubmission(
            {f"{file}:{mark.line + 1}" if mark else str(file): "is not valid YAML"}
        ) from None
    return parse(document, str(file))


def dump(dataset_map: DatasetMap) -> str:
    """The map as YAML, in the order of its tables and columns."""
    import io

    from ruamel.yaml import YAML

    out = io.StringIO()
    yaml = YAML()
    yaml.default_flow_style = False
    yaml.width = 120
    yaml.dump(dataset_map.to_dict(), out)
    return out.getvalue()
