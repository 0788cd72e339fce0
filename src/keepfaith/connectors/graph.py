"""How rows reach a person: edges between columns, from the database's foreign keys and
the map's own ``references``, and the walk from the columns that identify a person.

An ``Edge`` joins a child column to the parent column it points at (``payment.customer_id
-> customer.customer_id``). The database's foreign keys give the edges; a column whose map
entry has ``references`` replaces its foreign keys with those (an empty tuple removes
them). ``reach`` walks from the tables holding an identity column, in both directions, and
says for each reachable table by which edge it is first reached, so a rights request can
read each table once and know whether its rows are the person's own (reached from the
parent side: rental, payment) or rows the person's rows point at (address, city); the
walk never goes from a shared row down to the other rows that point at it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from keepfaith.connectors.datamap import DatasetMap
from keepfaith.connectors.reflect import Schema

FOREIGN_KEY, MAP = "foreign_key", "map"


@dataclass(frozen=True, order=True)
class Edge:
    """``child.column`` holds values of ``parent.column``."""

    child: str
    child_column: str
    parent: str
    parent_column: str
    source: str = FOREIGN_KEY
    """``foreign_key`` (reflected) or ``map`` (declared in the map)."""

    def __str__(self) -> str:
        return f"{self.child}.{self.child_column} -> {self.parent}.{self.parent_column}"


@dataclass(frozen=True)
class Step:
    """A table reached from a person: through ``edge``, ``owned`` when the table's rows
    point at the person's (one person, many rows), not when the person's rows point at it
    (rows that other people's rows may share)."""

    table: str
    edge: Edge | None
    owned: bool
    depth: int


def foreign_key_edges(schema: Schema) -> list[Edge]:
    """Every single-column join the database's own foreign keys declare."""
    edges = []
    for table in schema.tables.values():
        for key in table.foreign_keys:
            for child, parent in zip(key.columns, key.referred_columns, strict=True):
                edges.append(Edge(table.name, child, key.referred_table, parent))
    # Edge's own order, by a key: the dataclass's comparisons build two tuples each.
    return sorted(edges, key=_order)


def _order(edge: Edge) -> tuple[str, str, str, str, str]:
    return (edge.child, edge.child_column, edge.parent, edge.parent_column, edge.source)


def edges(dataset_map: DatasetMap, schema: Schema | None = None) -> list[Edge]:
    """The database's foreign keys, with the map's ``references`` added or overriding."""
    overridden = {
        (table.name, column.name): column.references
        for table, column in dataset_map.columns()
        if column.references is not None
    }
    found = [
        edge
        for edge in (foreign_key_edges(schema) if schema else [])
        if (edge.child, edge.child_column) not in overridden
    ]
    for (table, column), references in overridden.items():
        for reference in references or ():
            # The declaring column holds the other's values, as a foreign key would; a
            # Fides direction says which way to walk, which ``reach`` works out itself.
            found.append(Edge(table, column, reference.table, reference.column, MAP))
    return sorted(set(found))


def reach(dataset_map: DatasetMap, all_edges: list[Edge]) -> list[Step]:
    """Every table reachable from an identity column, nearest first (breadth first)."""
    starts = sorted({table for table, _, _ in dataset_map.identities()})
    seen = {table: Step(table, None, True, 0) for table in starts}
    queue = deque(starts)
    while queue:
        current = queue.popleft()
        depth = seen[current].depth + 1
        owned = seen[current].owned
        for edge in all_edges:
            # Only the person's own rows lead on to rows that point at them: a shared
            # address must not lead to every other customer living there.
            if owned and edge.parent == current and edge.child not in seen:
                seen[edge.child] = Step(edge.child, edge, owned, depth)
                queue.append(edge.child)
            elif edge.child == current and edge.parent not in seen:
                seen[edge.parent] = Step(edge.parent, edge, False, depth)
                queue.append(edge.parent)
    return sorted(seen.values(), key=lambda step: (step.depth, step.table))
