"""What a company database holds that the statement does not say: the connectors' side of
``keepfaith check --database``.

The statement layer imports nothing of keepfaith's, so the comparison lives here: every
personal category of the dataset map must be declared by the statement (itself or an
ancestor: ``user.contact`` covers ``user.contact.email``), and every sensitive one must
be declared sensitive (so it is encrypted at rest) and have a retention rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from keepfaith.connectors.datamap import DatasetMap
from keepfaith.connectors.taxonomy import covers, is_personal, is_sensitive
from keepfaith.statement import Statement


@dataclass(frozen=True)
class Gap:
    """One column holding a category the statement does not cover as it should."""

    code: str
    database: str
    table: str
    column: str
    category: str
    message: str

    def __str__(self) -> str:
        return f"{self.database}: {self.table}.{self.column}: warning: {self.message} [{self.code}]"

    def to_dict(self) -> dict[str, str]:
        return {
            "severity": "warning",
            "code": self.code,
            "database": self.database,
            "table": self.table,
            "column": self.column,
            "category": self.category,
            "message": self.message,
        }


def gaps(statement: Statement, dataset_map: DatasetMap) -> list[Gap]:
    """Each personal category the database holds that the statement leaves out, and each
    sensitive one it does not mark sensitive or keep under a retention rule."""
    declared = {category.id: category for category in statement.categories}
    retained = {key for rule in statement.retention for key in rule.categories}
    found = []
    for table, column in dataset_map.columns():
        for key in column.categories:
            if not is_personal(key):
                continue
            where = (dataset_map.key, table.name, column.name, key)
            covering = [d for k, d in declared.items() if covers(k, key)]
            if not covering:
                found.append(
                    Gap(
                        "undeclared-category",
                        *where,
                        f"holds {key}, which the statement does not declare",
                    )
                )
                continue
            if not is_sensitive(key):
                continue
            if not any(d.sensitive for d in covering):
                found.append(
                    Gap(
                        "sensitive-not-marked",
                        *where,
                        f"holds {key}, a sensitive category the statement does not mark sensitive",
                    )
                )
            if not any(covers(k, key) for k in retained):
                found.append(
                    Gap(
                        "sensitive-without-retention",
                        *where,
                        f"holds {key}, a sensitive category no retention rule covers",
                    )
                )
    return found
