"""Proposals against labels: precision, recall and F1 over (column, category) pairs."""

from __future__ import annotations

from dataclasses import dataclass

from keepfaith.connectors import DatasetMap
from keepfaith.connectors.taxonomy import is_personal
from tests.connectors.labels import Labels


@dataclass(frozen=True)
class Score:
    true_positives: int
    false_positives: int
    false_negatives: int
    wrong: tuple[str, ...]
    """Each column whose proposal differs from its label, with both (no values)."""

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        held = self.true_positives + self.false_negatives
        return self.true_positives / held if held else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def proposed(dataset_map: DatasetMap) -> dict[tuple[str, str], frozenset[str]]:
    return {
        (t.name, c.name): frozenset(k for k in c.categories if is_personal(k))
        for t, c in dataset_map.columns()
    }


def score(found: dict[tuple[str, str], frozenset[str]], labels: Labels) -> Score:
    """Every labelled column counts; a column the map lacks proposed nothing."""
    tp = fp = fn = 0
    wrong = []
    for table, columns in labels.items():
        for column, truth in columns.items():
            guess = found.get((table, column), frozenset())
            tp += len(guess & truth)
            fp += len(guess - truth)
            fn += len(truth - guess)
            if guess != truth:
                wrong.append(f"{table}.{column}: proposed {sorted(guess)}, label {sorted(truth)}")
    return Score(tp, fp, fn, tuple(wrong))
