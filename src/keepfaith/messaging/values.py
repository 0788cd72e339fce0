"""Values a template gets at send time from the capability that queued the message.

A message queued set-based (``INSERT ... SELECT``, as change notices are) shares one
``context`` with every other message of its campaign; what differs per person and must
be computed in Python, such as a signed link naming that person's own change, is added
when the message is rendered. The capability registers, for its template, a function
that takes the chunk's message ids and returns their values, in one query, not one per
message (``keepfaith.changes.notices`` does for ``change_notice``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from keepfaith.ledger import Transaction
from keepfaith.settings import Settings

Provider = Callable[[Transaction, Settings, Sequence[int]], Mapping[int, Mapping[str, Any]]]

_PROVIDERS: dict[str, Provider] = {}


def provide(template: str, provider: Provider) -> None:
    """Have ``provider`` give the values of every message of ``template`` at send time."""
    _PROVIDERS[template] = provider


def values_of(
    tx: Transaction, settings: Settings, by_template: Mapping[str, Sequence[int]]
) -> dict[int, Mapping[str, Any]]:
    """The provided values of these messages (ids by template), by message id."""
    found: dict[int, Mapping[str, Any]] = {}
    for template, ids in by_template.items():
        provider = _PROVIDERS.get(template)
        if provider is not None and ids:
            found.update(provider(tx, settings, ids))
    return found
