"""A case's clock: when the answer is due, in calendar or business days.

The statement says how many days (``rights.response_days``, or a right's own
``response_days``); the clock counts from receipt. Business days skip Saturdays and
Sundays. An extension adds the statement's ``extension_days`` once, with its reason.
"""

from __future__ import annotations

import datetime as dt

from keepfaith.statement import Statement
from keepfaith.statement.schema import RightKind

CALENDAR, BUSINESS = "calendar", "business"


def add_days(start: dt.datetime, days: int, unit: str = CALENDAR) -> dt.datetime:
    """``start`` plus ``days`` calendar days, or business days (Monday to Friday)."""
    if unit == CALENDAR:
        return start + dt.timedelta(days=days)
    when, left = start, days
    while left > 0:
        when += dt.timedelta(days=1)
        if when.weekday() < 5:
            left -= 1
    return when


def response_days(statement: Statement, right: RightKind) -> int | None:
    """The days the statement promises for an answer to ``right`` (None: no deadline)."""
    for declared in statement.rights.requests:
        if declared.kind == right and declared.response_days is not None:
            return declared.response_days
    return statement.rights.response_days


def due(
    statement: Statement, right: RightKind, received: dt.datetime, unit: str = CALENDAR
) -> dt.datetime | None:
    days = response_days(statement, right)
    return None if days is None else add_days(received, days, unit)


def standing(due_at: dt.datetime | None, now: dt.datetime, remind_days: int = 3) -> str:
    """``overdue``, ``due_soon`` (within ``remind_days``), ``on_time`` or ``no_deadline``."""
    if due_at is None:
        return "no_deadline"
    if now > due_at:
        return "overdue"
    if now + dt.timedelta(days=remind_days) >= due_at:
        return "due_soon"
    return "on_time"
