"""Company databases: dataset maps, how rows reach a person, and discovery.

- ``datamap``: the map (``DatasetMap``): per table and column the fideslang category,
  identity, erasure strategy and extra references; ``parse`` checks one.
- ``graph``: edges from the database's foreign keys and the map, and the walk from a
  person's identity columns (``reach``).
- ``fides``: Fides dataset YAML in and out.
- ``scan``: discovery, which proposes the map with its evidence (``scan``).
- ``maps``: reviewed maps kept in the ledger, and the staff's review of a proposal.
- ``coverage``: what a database holds that a statement does not declare.
"""

from keepfaith.connectors.datamap import Column, DatasetMap, Erasure, Reference, Table, parse
from keepfaith.connectors.graph import Edge, Step, edges, reach
from keepfaith.connectors.scan import Change, ScanResult, scan

__all__ = [
    "Change",
    "Column",
    "DatasetMap",
    "Edge",
    "Erasure",
    "Reference",
    "ScanResult",
    "Step",
    "Table",
    "edges",
    "parse",
    "reach",
    "scan",
]
