"""The clock: the one home of "now" and of times as aware UTC.

Every change the ledger records takes its time from the ledger's clock
(``Ledger.clock``, ``tx.now()``), which is ``utcnow`` unless a test passes its own; code
that needs "now" outside a unit of work takes a ``Clock`` argument rather than calling
``datetime.now`` itself, so that one clock governs a whole run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

Clock = Callable[[], dt.datetime]
"""Something that tells the time: returns an aware UTC ``datetime``."""


def utcnow() -> dt.datetime:
    """The current time, aware, in UTC."""
    return dt.datetime.now(dt.UTC)


def utc(when: dt.datetime) -> dt.datetime:
    """A time as aware UTC; naive times (as SQLite returns them) are taken as UTC."""
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)
