"""Partial statistics: what one machine counted, in a file, to be added to the ledger
anywhere, exactly once.

``keepfaith logs ingest --partial OUT`` writes one; ``keepfaith logs merge`` adds them.
A partial holds what the ledger would store and nothing more: per day the totals, the
counts and the visitor sketch (register maxima of salted keys, which name nobody), and
the digests of the chunks counted, so that merging the same partial twice, or a partial
of lines the ledger already counted, counts nothing twice.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import datasketches

from keepfaith.exceptions import ConfigurationError, NotFound, Refused
from keepfaith.ledger import statistics
from keepfaith.ledger.statistics import TOTALS, DayStats

if TYPE_CHECKING:
    from keepfaith.ledger import Transaction

FORMAT = "keepfaith-visit-statistics/1"
"""The ``format`` of a partial file, checked on reading."""


@dataclass
class Partial:
    """A partial file, read."""

    tenant: str
    days: dict[dt.date, DayStats]
    chunks: list[tuple[str, int]]
    """``(digest, lines)`` of the chunks counted."""


def write(
    path: str | Path,
    tenant: str,
    days: dict[dt.date, DayStats],
    chunks: list[tuple[str, int]],
) -> None:
    """Write the statistics of ``days`` and the chunks they came from to ``path``."""
    document = {
        "format": FORMAT,
        "tenant": tenant,
        "chunks": [[digest, lines] for digest, lines in chunks],
        "days": {
            day.isoformat(): {
                "totals": {name: stats.totals[name] for name in TOTALS},
                "counts": [[d, v, n] for (d, v), n in sorted(stats.counts.items())],
                "visitors": base64.b64encode(statistics.serialize(stats.sketch)).decode(),
            }
            for day, stats in sorted(days.items())
        },
    }
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    Path(path).write_text(text + "\n", encoding="utf-8")


def read_partial(path: str | Path) -> Partial:
    """A partial file, or ``ConfigurationError`` naming the file and what is wrong."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotFound(f"no such partial file: {path}") from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ConfigurationError(f"{path}: not a partial statistics file ({error})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ConfigurationError(f"{path}: not a partial statistics file (format {FORMAT})")
    try:
        return Partial(
            tenant=str(document["tenant"]),
            days={dt.date.fromisoformat(day): _day(data) for day, data in document["days"].items()},
            chunks=[(str(digest), int(lines)) for digest, lines in document["chunks"]],
        )
    except (KeyError, TypeError, ValueError, RuntimeError) as error:
        raise ConfigurationError(
            f"{path}: a malformed partial statistics file ({error!r})"
        ) from None


def _day(data: dict[str, Any]) -> DayStats:
    stats = DayStats(totals=Counter({name: int(data["totals"][name]) for name in TOTALS}))
    stats.counts = Counter({(str(d), str(v)): int(n) for d, v, n in data["counts"]})
    stats.sketch = datasketches.hll_sketch.deserialize(base64.b64decode(data["visitors"]))
    return stats


def merge(tx: Transaction, found: Partial, tenant: str | None = None) -> int:
    """Add a partial to ``tenant``'s statistics (default: the partial's own tenant).

    Returns the lines added: 0 when every chunk of the partial was counted before (the
    same partial merged again). A partial only some of whose chunks were counted before
    is refused: its figures cannot be told apart by chunk.
    """
    tenant = tenant or found.tenant
    digests = [digest for digest, _ in found.chunks]
    before = statistics.counted(tx, tenant, digests)
    if before and len(before) == len(set(digests)):
        return 0
    if before:
        raise Refused(
            f"{len(before)} of the partial's {len(set(digests))} chunks were already counted"
            f" for {tenant}; ingest its logs again instead"
        )
    statistics.add(tx, tenant, found.days, found.chunks, source="merge")
    return sum(lines for _, lines in found.chunks)
